// Sign-in with outside providers in a real browser: the login page's
// Jellyfin and Plex buttons, their popups, and the fakes e2e/run.sh starts
// beside the portal (e2e/fakes: a fake Jellyfin and a fake plex.tv whose
// auth page approves the PIN for a friend of the Plex server at once).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';

const baseURL = process.env.E2E_BASE_URL;
const jellyfinUser = process.env.E2E_JELLYFIN_USERNAME;
const jellyfinPassword = process.env.E2E_JELLYFIN_PASSWORD;
const plexUser = process.env.E2E_PLEX_USERNAME;
const plexURL = process.env.E2E_PLEX_URL;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !jellyfinUser || !jellyfinPassword || !plexUser || !plexURL
  ? 'E2E_BASE_URL, E2E_JELLYFIN_USERNAME, E2E_JELLYFIN_PASSWORD, E2E_PLEX_USERNAME and E2E_PLEX_URL are not set: run e2e/run.sh'
  : '';

const origin = baseURL ? new URL(baseURL).origin : '';
const plexOrigin = plexURL ? new URL(plexURL).origin : '';
const url = (path) => origin + path;

const ACTION_TIMEOUT = 15_000;
const NAV_TIMEOUT = 20_000;

let browser;
let context;
let page; // the login page, the opener of every popup

const requests = [];       // every request of every page: { page: 'opener' | 'popup', url, method }
const consoleErrors = [];
const pageErrors = [];
// A refused password is a 401 page, and Chromium logs "Failed to load
// resource" for it: one such error per deliberate refusal is expected.
const expectedFailedLoads = new Map(); // absolute URL -> how many are still allowed
const contrastLog = [];

function watch(p, role) {
  p.on('request', (req) => requests.push({ page: role, url: req.url(), method: req.method() }));
  p.on('pageerror', (err) => pageErrors.push(`${role} ${p.url()}: ${err.message}`));
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    const text = msg.text();
    // The fake plex.tv has no favicon; the browser asks for one anyway.
    if (where === `${plexOrigin}/favicon.ico`) return;
    const allowed = expectedFailedLoads.get(where) || 0;
    if (allowed > 0 && /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text)) {
      expectedFailedLoads.set(where, allowed - 1);
      return;
    }
    consoleErrors.push(`${role} ${p.url()}: ${text}${where ? ` (${where})` : ''}`);
  });
}

before(async () => {
  if (missingEnv) return;
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(ACTION_TIMEOUT);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  page = await context.newPage();
  watch(page, 'opener');
  context.on('page', (p) => { if (p !== page) watch(p, 'popup'); });
});

after(async () => {
  await browser?.close();
});

async function expectPath(p, path) {
  await p.waitForURL((u) => u.pathname === path, { timeout: NAV_TIMEOUT });
  assert.equal(new URL(p.url()).pathname, path);
}

// openPopup clicks the button of provider and returns the popup it opens.
async function openPopup(provider) {
  const [popup] = await Promise.all([
    context.waitForEvent('page', { timeout: ACTION_TIMEOUT }),
    page.click(`#providers button[data-provider="${provider}"]`),
  ]);
  return popup;
}

const whoami = (p) => p.evaluate(async () => {
  const res = await fetch('/whoami', { headers: { Accept: 'application/json' } });
  return res.json();
});

test('sign-in with Jellyfin and Plex through the login page\'s popups', { timeout: 180_000 }, async (outer) => {
  assert.equal(missingEnv, '', missingEnv);
  // The steps build on each other: after the first failure the rest are
  // skipped rather than failing for the same reason.
  let failed = false;
  const step = (name, fn) => outer.test(name, async (st) => {
    if (failed) {
      st.skip('an earlier step failed');
      return;
    }
    try {
      await fn(st);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
  let popup;

  await step('the login page offers Jellyfin first, then Plex, then the local form', async () => {
    const res = await page.goto(url('/'));
    assert.equal(res.status(), 200);
    const buttons = await page.$$eval('#providers button[data-provider]',
      (bs) => bs.map((b) => ({ provider: b.dataset.provider, text: b.textContent.trim() })));
    assert.deepEqual(buttons, [
      { provider: 'jellyfin', text: 'Sign in with Jellyfin' },
      { provider: 'plex', text: 'Sign in with Plex' },
    ]);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await lookAt(page, 'login-providers', contrastLog);
  });

  await step('"Sign in with Jellyfin" opens a popup with the Jellyfin form', async () => {
    popup = await openPopup('jellyfin');
    await expectPath(popup, '/auth/forward');
    assert.equal(new URL(popup.url()).search, '?jellyfin=1');
    await popup.locator('#auth-form').waitFor({ state: 'visible' });
    assert.equal((await popup.textContent('h2')).trim(), 'Sign in with Jellyfin');
    assert.equal(new URL(page.url()).pathname, '/', 'the login page stays while the popup is open');
    await lookAt(popup, 'jellyfin-form', contrastLog, { width: 520, height: 720 });
  });

  await step('a wrong Jellyfin password is refused in plain words in the popup', async () => {
    expectedFailedLoads.set(url('/auth/forward?jellyfin=1'), 1);
    await popup.fill('#username', jellyfinUser);
    await popup.fill('#password', 'not the jelly password');
    const answered = popup.waitForResponse((r) => r.url() === url('/auth/forward?jellyfin=1') && r.request().method() === 'POST');
    await popup.click('#auth-submit');
    assert.equal((await answered).status(), 401);
    const error = popup.locator('#auth-error');
    await error.waitFor({ state: 'visible' });
    assert.equal((await error.textContent()).trim(),
      'Jellyfin did not accept that sign-in. Check the username and password and try again.');
    assert.equal(await popup.inputValue('#username'), jellyfinUser, 'the username is kept');
    assert.equal(await popup.inputValue('#password'), '', 'the password is not sent back');
    assert.doesNotMatch(await popup.content(), /not the jelly password/);
    assert.equal(new URL(page.url()).pathname, '/', 'the login page is still there');
    assert.equal((await whoami(page)).authenticated, false, 'a refused password signed someone in');
    await lookAt(popup, 'jellyfin-form-error', contrastLog, { width: 520, height: 720 });
  });

  await step('the right Jellyfin password closes the popup and lands on /home as the Jellyfin user', async () => {
    const closed = popup.waitForEvent('close', { timeout: NAV_TIMEOUT });
    await popup.fill('#password', jellyfinPassword);
    await popup.click('#auth-submit');
    await expectPath(page, '/home');
    await closed;
    const me = await whoami(page);
    assert.equal(me.provider, 'jellyfin', JSON.stringify(me));
    assert.equal(me.username, jellyfinUser, JSON.stringify(me));
    assert.equal(me.authorized, true, JSON.stringify(me));
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${jellyfinUser}\\b`));
    await lookAt(page, 'home-jellyfin', contrastLog);
  });

  await step('sign out returns to the login page', async () => {
    await page.click('#logout');
    await expectPath(page, '/');
    await page.locator('#providers').waitFor({ state: 'visible' });
    assert.equal((await whoami(page)).authenticated, false);
  });

  await step('"Sign in with Plex": the popup approves the PIN on plex.tv and the login page lands on /home', async () => {
    const before = requests.length;
    popup = await openPopup('plex');
    await expectPath(page, '/home');
    const seen = requests.slice(before);
    const popupURLs = seen.filter((r) => r.page === 'popup').map((r) => `${r.method} ${r.url.split('#')[0]}`);
    assert.ok(popupURLs.includes(`GET ${plexOrigin}/auth`), `the popup did not go to plex.tv's auth page: ${popupURLs.join(', ')}`);
    assert.ok(popupURLs.includes(`POST ${plexOrigin}/auth/claim`), `the PIN was not approved: ${popupURLs.join(', ')}`);
    assert.ok(popupURLs.includes(`GET ${url('/auth/forward')}`), `plex.tv did not forward back: ${popupURLs.join(', ')}`);
    const me = await whoami(page);
    assert.equal(me.provider, 'plex', JSON.stringify(me));
    assert.equal(me.username, plexUser, JSON.stringify(me));
    assert.equal(me.authorized, true, JSON.stringify(me));
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${plexUser}\\b`));
  });

  await step('no console errors, page errors, or login-page requests to other hosts', (st) => {
    for (const line of contrastLog) st.diagnostic(line);
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in page scripts');
    assert.deepEqual(consoleErrors, [], 'console errors');
    const foreign = requests.filter((r) => r.page === 'opener' && !r.url.startsWith('data:') && new URL(r.url).origin !== origin);
    assert.deepEqual(foreign, [], 'requests of the login page to hosts other than the portal');
  });
});

// popup.closed turns true as soon as the popup reaches plex.tv (the
// portal's Cross-Origin-Opener-Policy: same-origin cuts the popup off from
// its opener), so the login page must keep asking /auth/poll for as long as
// the PIN lives, not stop when the popup looks closed.
test('a Plex user who takes a while to approve still lands on /home in the login page', {
  timeout: 90_000,
}, async () => {
  assert.equal(missingEnv, '', missingEnv);
  await page.goto(url('/'));
  if (new URL(page.url()).pathname !== '/') {
    await page.click('#logout');
    await expectPath(page, '/');
  }
  // Approving on plex.tv takes a person some seconds: hold the approval
  // back until the login page has asked /auth/poll six times (9 s at its
  // 1.5 s interval).
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  let polls = 0;
  const countPolls = (req) => { if (req.url() === url('/auth/poll')) polls++; };
  page.on('request', countPolls);
  await context.route(`${plexOrigin}/auth/claim`, async (route) => { await released; await route.continue(); });
  try {
    await openPopup('plex');
    for (let waited = 0; polls < 6 && waited < 15_000; waited += 250) await new Promise((r) => setTimeout(r, 250));
    assert.ok(polls >= 6, `the login page stopped asking /auth/poll after ${polls} polls`);
    release();
    await expectPath(page, '/home');
  } finally {
    release();
    page.off('request', countPolls);
    await context.unroute(`${plexOrigin}/auth/claim`);
  }
  assert.equal((await whoami(page)).provider, 'plex');
});
