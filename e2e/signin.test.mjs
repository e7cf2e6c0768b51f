// Sign-in pages in a real browser: Debian's Chromium driven by Playwright,
// against a running AuthPortal (started by e2e/run.sh, which sets the
// variables below).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { stepAt, totpForStep } from './totp.mjs';

const baseURL = process.env.E2E_BASE_URL;
const username = process.env.E2E_USERNAME;
const password = process.env.E2E_PASSWORD;
const chromiumPath = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

const skip = !baseURL || !username || !password
  ? 'E2E_BASE_URL, E2E_USERNAME and E2E_PASSWORD are not set: run e2e/run.sh'
  : false;

const origin = baseURL ? new URL(baseURL).origin : '';
const url = (path) => origin + path;

// Timeouts, in milliseconds: generous for a 2-core CI machine, still bounded.
const ACTION_TIMEOUT = 15_000;
const NAV_TIMEOUT = 20_000;

let browser;
let context;
let page;

// What the browser did, checked at the end of the run.
const requests = [];       // every request URL the page made
const consoleErrors = [];  // console errors nobody expected
const pageErrors = [];     // uncaught exceptions in page scripts
// A deliberately wrong password or code makes the page's fetch fail with a
// 4xx, and Chromium logs "Failed to load resource" for it: one such error per
// deliberate failure, for the endpoint that step posts to, is expected.
// (Counted rather than timed: console events arrive asynchronously.)
const expectedFailedFetches = new Map(); // absolute URL -> how many are still allowed

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(ACTION_TIMEOUT);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT);
  page = await context.newPage();
  page.on('request', (req) => requests.push(req.url()));
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url || '';
    const text = msg.text();
    const allowed = expectedFailedFetches.get(where) || 0;
    if (allowed > 0 && /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text)) {
      expectedFailedFetches.set(where, allowed - 1);
      return;
    }
    consoleErrors.push(`${page.url()}: ${text}${where ? ` (${where})` : ''}`);
  });
});

after(async () => {
  await browser?.close();
});

// expectFailedFetch allows one more failed-request console error for path.
function expectFailedFetch(path) {
  expectedFailedFetches.set(url(path), (expectedFailedFetches.get(url(path)) || 0) + 1);
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function expectPath(path) {
  await page.waitForURL((u) => u.pathname === path, { timeout: NAV_TIMEOUT });
  assert.equal(new URL(page.url()).pathname, path);
}

async function signIn(pass) {
  await page.fill('#username', username);
  await page.fill('#password', pass);
  await page.click('#login-submit');
}

// A 6-digit code that is valid for none of the steps around now.
function wrongCode(secret, step) {
  const near = new Set([-2, -1, 0, 1, 2, 3].map((d) => totpForStep(secret, step + d)));
  for (let n = 0; ; n++) {
    const code = String((123456 + n * 111111) % 1_000_000).padStart(6, '0');
    if (!near.has(code)) return code;
  }
}

test('sign-in, TOTP enrollment, sign-out and MFA challenge in Chromium', { skip, timeout: 120_000 }, async (outer) => {
  // The steps build on each other: after the first failure the rest are
  // skipped rather than failing for the same reason.
  let failed = false;
  const t = {
    test: (name, fn) => outer.test(name, async (st) => {
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
    }),
  };
  let loginResponse;
  let secret;
  let enrolledStep;

  await t.test('login page refuses a wrong password', async () => {
    loginResponse = await page.goto(url('/'));
    assert.equal(loginResponse.status(), 200);
    expectFailedFetch('/api/auth/login');
    await signIn('definitely not the password');
    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    assert.notEqual((await error.textContent()).trim(), '', '#login-error has no text');
    assert.equal(new URL(page.url()).pathname, '/');
  });

  await t.test('the login page has a strict Content-Security-Policy', async () => {
    const csp = loginResponse.headers()['content-security-policy'] || '';
    assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `CSP: ${csp}`);
  });

  await t.test('the right password lands on /home with MFA off', async () => {
    await signIn(password);
    await expectPath('/home');
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${escapeRegExp(username)}\\b`));
    const mfa = page.locator('#mfa-state');
    assert.match((await mfa.textContent()).trim(), /^Off\b/);
    const setUp = mfa.getByRole('link', { name: 'Set up' });
    assert.equal(await setUp.count(), 1, 'no "Set up" link in #mfa-state');
    assert.equal(await setUp.getAttribute('href'), '/mfa/enroll');
  });

  await t.test('enrollment shows a QR code drawn by the server', async () => {
    await page.goto(url('/mfa/enroll'));
    await page.click('#enroll-start');
    const qr = page.locator('#enroll-qr');
    await qr.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const img = document.getElementById('enroll-qr');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: ACTION_TIMEOUT });
    const { src, naturalWidth } = await qr.evaluate((img) => ({ src: img.src, naturalWidth: img.naturalWidth }));
    assert.ok(src.startsWith('data:image/png;base64,'), `QR src: ${src.slice(0, 40)}…`);
    assert.ok(naturalWidth > 0, `QR naturalWidth ${naturalWidth}`);
    const foreign = requests.filter((r) => !r.startsWith('data:') && new URL(r).origin !== origin);
    assert.deepEqual(foreign, [], 'requests to hosts other than the portal');
  });

  await t.test('a TOTP code turns MFA on and shows 10 recovery codes', async () => {
    secret = (await page.textContent('#enroll-secret')).trim();
    assert.match(secret, /^[A-Z2-7= ]{16,}$/i, `secret: ${secret}`);
    enrolledStep = stepAt(Date.now() / 1000);
    await page.fill('#enroll-code', totpForStep(secret, enrolledStep));
    await page.click('#enroll-form button[type=submit]');
    await page.locator('#enroll-continue').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.click('#enroll-continue');
    await expectPath('/home');
    assert.equal((await page.textContent('#mfa-state')).trim(), 'On');
  });

  await t.test('home page screenshot', async () => {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'home.png'), fullPage: true });
  });

  await t.test('sign out returns to the login page', async () => {
    await page.click('#logout');
    await expectPath('/');
    await page.locator('#login-form').waitFor({ state: 'visible' });
  });

  await t.test('signing in again asks for the second factor', async () => {
    await signIn(password);
    await expectPath('/mfa/challenge');
  });

  await t.test('the challenge refuses a wrong code', async () => {
    expectFailedFetch('/mfa/challenge/verify');
    await page.fill('#challenge-code', wrongCode(secret, enrolledStep));
    await page.click('#challenge-form button[type=submit]');
    const error = page.locator('#challenge-error');
    await error.waitFor({ state: 'visible' });
    assert.notEqual((await error.textContent()).trim(), '', '#challenge-error has no text');
    assert.equal(new URL(page.url()).pathname, '/mfa/challenge');
  });

  await t.test('the next step\'s code completes sign-in', async () => {
    // The enrollment step's code is spent (replays are refused); the server
    // accepts one step either side of now, so the next step's code is good
    // from now until the step after it ends.
    const now = stepAt(Date.now() / 1000);
    assert.ok(now <= enrolledStep + 2, `too slow: ${now - enrolledStep} steps since enrollment`);
    await page.fill('#challenge-code', totpForStep(secret, enrolledStep + 1));
    await page.click('#challenge-form button[type=submit]');
    await expectPath('/home');
    assert.equal((await page.textContent('#mfa-state')).trim(), 'On');
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${escapeRegExp(username)}\\b`));
  });

  await t.test('no console errors, page errors or foreign requests', (st) => {
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in page scripts');
    assert.deepEqual(consoleErrors, [], 'console errors');
    const foreign = requests.filter((r) => !r.startsWith('data:') && new URL(r).origin !== origin);
    assert.deepEqual(foreign, [], 'requests to hosts other than the portal');
  });
});
