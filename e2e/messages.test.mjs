// The login page believes a popup's "signed in" message only from its own
// origin: a message from anywhere else must not move it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';

const baseURL = process.env.E2E_BASE_URL;
const jellyfinUser = process.env.E2E_JELLYFIN_USERNAME;
const jellyfinPassword = process.env.E2E_JELLYFIN_PASSWORD;
const missingEnv = !baseURL ? 'E2E_BASE_URL is not set: run e2e/run.sh' : '';

let browser;
before(async () => {
  if (missingEnv) return;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test('the login page ignores sign-in messages from other origins', { timeout: 60_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL('/', baseURL).toString());
  await page.locator('#providers').waitFor();
  const homeRequests = [];
  page.on('request', (req) => { if (new URL(req.url()).pathname === '/home') homeRequests.push(req.url()); });
  const send = (origin, type) => page.evaluate(([origin, type]) => {
    window.dispatchEvent(new MessageEvent('message', { origin, data: { type, ok: true, redirect: '/home?from=' + origin } }));
  }, [origin, type]);

  await send('https://evil.example', 'jellyfin-auth');
  await send(new URL(baseURL).origin, 'not-a-sign-in');
  await page.waitForTimeout(500); // a navigation, if the page took the bait, would have begun
  assert.deepEqual(homeRequests, [], 'a foreign or unknown message moved the login page');

  // The same message from the page's own origin is believed: the page goes
  // where it says (and, not being signed in, is sent back by the server).
  // That navigation must end (the server sends a browser without a session
  // back to /) before the next one starts, or it interrupts the next.
  const loaded = page.waitForEvent('load');
  await Promise.all([page.waitForRequest(/\/home\?from=/), send(new URL(baseURL).origin, 'jellyfin-auth')]);
  await loaded;

  // A login page opened with ?next= goes there after the sign-in, not home.
  await page.goto(new URL('/?next=/account', baseURL).toString());
  await page.locator('#providers').waitFor();
  await Promise.all([
    page.waitForRequest((req) => new URL(req.url()).pathname === '/account'),
    page.evaluate((origin) => window.dispatchEvent(new MessageEvent('message', { origin, data: { type: 'plex-auth', ok: true, redirect: '/home' } })),
      new URL(baseURL).origin),
  ]);
  await context.close();
});

// When the browser blocks the sign-in popup, the login page goes to the
// provider's page itself and must keep its ?next= all the way: the Jellyfin
// form carries it, and the sign-in ends there rather than on /home. The
// upstream providers' /auth/{provider} takes next the same way (tested over
// HTTP in upstream_signin_test.go; this run has no GitHub or Google fake).
test('a blocked popup falls back to a full page that keeps next', { timeout: 60_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  assert.ok(jellyfinUser && jellyfinPassword, 'E2E_JELLYFIN_USERNAME and E2E_JELLYFIN_PASSWORD are not set: run e2e/run.sh');
  const context = await browser.newContext();
  // A popup blocker: window.open gives nothing, as Chromium's does.
  await context.addInitScript(() => { window.open = () => null; });
  const page = await context.newPage();
  await page.goto(new URL('/?next=' + encodeURIComponent('/account'), baseURL).toString());
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/auth/forward'),
    page.click('button[data-provider="jellyfin"]'),
  ]);
  const at = new URL(page.url());
  assert.equal(at.searchParams.get('jellyfin'), '1');
  assert.equal(at.searchParams.get('next'), '/account', 'the full page lost the login page\'s next');

  await page.fill('#username', jellyfinUser);
  await page.fill('#password', jellyfinPassword);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/account'),
    page.click('#auth-submit'),
  ]);
  await context.close();
});
