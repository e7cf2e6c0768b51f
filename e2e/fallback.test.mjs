// When the browser blocks the sign-in popup, the login page goes to the
// provider's page itself and must keep its ?next= all the way: the Jellyfin
// form carries it, and the sign-in ends there rather than on /home. The
// upstream providers' /auth/{provider} takes next the same way (tested over
// HTTP in upstream_signin_test.go; this run has no GitHub or Google fake).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const baseURL = process.env.E2E_BASE_URL;
const jellyfinUser = process.env.E2E_JELLYFIN_USERNAME;
const jellyfinPassword = process.env.E2E_JELLYFIN_PASSWORD;
const chromiumPath = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const missingEnv = !baseURL || !jellyfinUser || !jellyfinPassword ? 'E2E_BASE_URL and E2E_JELLYFIN_* are not set: run e2e/run.sh' : '';

let browser;
before(async () => {
  if (missingEnv) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
});

test('a blocked popup falls back to a full page that keeps next', { timeout: 60_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
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
