// Sign-in pages in a real browser: Debian's Chromium driven by Playwright,
// against a running AuthPortal (started by e2e/run.sh, which sets the
// variables below).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './browser.mjs';
import { artifacts, lookAt as look } from './look.mjs';
import { stepAt, totpForStep } from './totp.mjs';

const baseURL = process.env.E2E_BASE_URL;
const username = process.env.E2E_USERNAME;
const password = process.env.E2E_PASSWORD;

// Without them there is nothing to test against: that is a failure (run
// e2e/run.sh), never a silent skip.
const missingEnv = !baseURL || !username || !password
  ? 'E2E_BASE_URL, E2E_USERNAME and E2E_PASSWORD are not set: run e2e/run.sh'
  : '';

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
  if (missingEnv) return;
  browser = await launchChromium();
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

// lookAt photographs the page as it is now in both colour schemes, on a
// desktop and a 390 px phone, into e2e/artifacts/, and checks each for
// contrast and for a page wider than the screen (look.mjs).
const contrastLog = [];
const lookAt = (name) => look(page, name, contrastLog);

const activeId = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);

test('sign-in, TOTP enrollment, sign-out and MFA challenge in Chromium', { timeout: 180_000 }, async (outer) => {
  assert.equal(missingEnv, '', missingEnv);
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

  await t.test('the login page: keyboard order and a visible focus', async () => {
    loginResponse = await page.goto(url('/'));
    assert.equal(loginResponse.status(), 200);
    // With outside providers (e2e/run.sh opens Jellyfin and Plex) their
    // buttons come first and nothing has the focus on arrival; Tab goes
    // through them, then to the username field.
    const providers = await page.$$eval('#providers button[data-provider]', (bs) => bs.map((b) => b.dataset.provider));
    if (providers.length === 0) {
      assert.equal(await activeId(), 'username', 'the username field has the focus first');
    } else {
      assert.equal(await activeId(), 'BODY', 'nothing has the focus before the provider buttons');
      for (const provider of providers) {
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.dataset?.provider), provider, `Tab reaches the ${provider} button`);
      }
      await page.keyboard.press('Tab');
      assert.equal(await activeId(), 'username', 'the username field comes after the provider buttons');
    }
    await page.keyboard.press('Tab');
    assert.equal(await activeId(), 'password');
    await page.keyboard.press('Tab');
    assert.equal(await activeId(), 'login-submit');
    const ring = await page.evaluate(() => {
      const st = getComputedStyle(document.activeElement);
      return `${st.outlineStyle} ${st.outlineWidth}`;
    });
    assert.equal(ring, 'solid 3px', 'focus ring on the sign-in button');
    await lookAt('login');
  });

  await t.test('the sign-in button spans the card and is 44 px high on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const { button, form } = await page.evaluate(() => ({
      button: document.getElementById('login-submit').getBoundingClientRect().toJSON(),
      form: document.getElementById('login-form').getBoundingClientRect().toJSON(),
    }));
    await page.setViewportSize({ width: 900, height: 900 });
    assert.ok(button.height >= 44, `button ${button.height}px high`);
    assert.ok(Math.abs(button.width - form.width) < 1, `button ${button.width}px wide in a ${form.width}px form`);
  });

  await t.test('a wrong password: an error, and the focus back on the emptied password field', async () => {
    expectFailedFetch('/api/auth/login');
    await signIn('definitely not the password');
    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible' });
    assert.equal((await error.textContent()).trim(), 'Invalid username or password.');
    assert.equal(new URL(page.url()).pathname, '/');
    await page.waitForFunction(() => document.activeElement?.id === 'password', null, { timeout: ACTION_TIMEOUT });
    assert.equal(await page.inputValue('#password'), '');
    await lookAt('login-error');
  });

  await t.test('the login page has a strict Content-Security-Policy', async () => {
    const csp = loginResponse.headers()['content-security-policy'] || '';
    assert.match(csp, /(^|;)\s*script-src 'self'\s*(;|$)/, `CSP: ${csp}`);
  });

  await t.test('an unknown address is the branded 404 page', async () => {
    expectFailedFetch('/no-such-page'); // Chromium logs every 404 it loads
    const res = await page.goto(url('/no-such-page'));
    assert.equal(res.status(), 404);
    await page.locator('#not-found').waitFor({ state: 'visible' });
    assert.equal(await page.getAttribute('main a.button', 'href'), '/');
    await lookAt('not-found');
    expectFailedFetch('/static/');
    const listing = await page.goto(url('/static/'));
    assert.equal(listing.status(), 404);
    assert.doesNotMatch(await page.content(), /login\.js|mfa_enroll\.js/);
  });

  await t.test('the right password lands on /home with MFA off', async () => {
    await page.goto(url('/'));
    await signIn(password);
    await expectPath('/home');
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${escapeRegExp(username)}\\b`));
    const mfa = page.locator('#mfa-state');
    assert.match((await mfa.textContent()).trim(), /^Off\b/);
    const setUp = mfa.getByRole('link', { name: 'Set up' });
    assert.equal(await setUp.count(), 1, 'no "Set up" link in #mfa-state');
    assert.equal(await setUp.getAttribute('href'), '/mfa/enroll');
  });

  await t.test('enrollment shows a QR code drawn by the server, and its button goes away', async () => {
    await page.goto(url('/mfa/enroll'));
    const start = page.locator('#enroll-start');
    await start.waitFor({ state: 'visible' });
    assert.equal((await start.textContent()).trim(), 'Show my QR code');
    assert.ok(await page.locator('#enroll-replace-warning').isHidden(), 'a first setup warns of nothing to replace');
    await lookAt('enroll-start');
    // A session signed in more than a few minutes ago must confirm the
    // password first. The server's clock cannot be moved from here, so the
    // first answer is the server's reauth-required problem, played back;
    // the confirmation then goes to the real server.
    let replayed = false;
    await page.route(url('/mfa/enroll/start'), async (route) => {
      if (replayed || route.request().postDataJSON()?.password) return route.continue();
      replayed = true;
      await route.fulfill({
        status: 401, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'urn:authportal:problem:reauth-required', title: 'Password confirmation required', status: 401,
          detail: 'Confirm your password to set up a new authenticator.' }),
      });
    });
    expectFailedFetch('/mfa/enroll/start');
    await start.click();
    await page.locator('#enroll-reauth').waitFor({ state: 'visible' });
    assert.equal(await activeId(), 'enroll-password', 'the focus moves to the password field');
    await lookAt('enroll-reauth');
    await page.fill('#enroll-password', password);
    await page.click('#enroll-reauth-submit');
    await page.unroute(url('/mfa/enroll/start'));
    const qr = page.locator('#enroll-qr');
    await qr.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const img = document.getElementById('enroll-qr');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: ACTION_TIMEOUT });
    const { src, naturalWidth } = await qr.evaluate((img) => ({ src: img.src, naturalWidth: img.naturalWidth }));
    assert.ok(src.startsWith('data:image/png;base64,'), `QR src: ${src.slice(0, 40)}…`);
    assert.ok(naturalWidth > 0, `QR naturalWidth ${naturalWidth}`);
    // Hidden for real (display: none), not merely flagged: a second click
    // would replace the secret the app just scanned.
    assert.ok(await start.isHidden(), '"Show my QR code" is still on screen after the QR code came');
    assert.ok(await page.locator('#enroll-reauth').isHidden(), 'the password form is still on screen after the QR code came');
    assert.equal(await activeId(), 'enroll-code', 'the focus moves to the code field');
    const foreign = requests.filter((r) => !r.startsWith('data:') && new URL(r).origin !== origin);
    assert.deepEqual(foreign, [], 'requests to hosts other than the portal');
    secret = (await page.textContent('#enroll-secret')).trim();
    assert.match(secret, /^[A-Z2-7= ]{16,}$/i, `secret: ${secret}`);
    await lookAt('enroll-qr');
  });

  await t.test('coming back to a pending setup offers its code first and says what starting over costs', async () => {
    // The status the page reads comes from the access model, which follows
    // the log: wait until it has the started enrollment.
    await page.waitForFunction(async () => {
      const r = await fetch('/mfa/enroll/status', { headers: { Accept: 'application/json' } });
      return (await r.json()).state === 'pending';
    }, null, { timeout: ACTION_TIMEOUT, polling: 100 });
    await page.reload();
    await page.locator('#enroll-pending').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#enroll-code').isVisible(), 'the code form is offered for the app that already scanned');
    assert.ok(await page.locator('#enroll-qr').isHidden(), 'no QR code is shown without asking for a new one');
    assert.equal((await page.textContent('#enroll-start')).trim(), 'Start over with a new QR code');
    assert.match(await page.textContent('#enroll-replace-warning'), /replaces the earlier one/);
    await lookAt('enroll-pending');
  });

  await t.test('a 5-digit code is answered in plain words', async () => {
    expectFailedFetch('/mfa/enroll/verify');
    await page.fill('#enroll-code', '12345');
    await page.click('#enroll-submit');
    const error = page.locator('#enroll-error');
    await error.waitFor({ state: 'visible' });
    assert.equal((await error.textContent()).trim(), 'Enter the 6-digit code from your authenticator app.');
    assert.equal(await activeId(), 'enroll-code');
  });

  await t.test('the code of the app that scanned first turns MFA on and shows 10 recovery codes', async () => {
    enrolledStep = stepAt(Date.now() / 1000);
    await page.fill('#enroll-code', totpForStep(secret, enrolledStep));
    await page.click('#enroll-submit');
    await page.locator('#enroll-continue').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    assert.equal(await page.textContent('#recovery-count'), '10');
    assert.ok(await page.locator('#enroll-start').isHidden());
    await lookAt('enroll-codes');
    await page.click('#enroll-continue');
    await expectPath('/home');
    assert.equal((await page.textContent('#mfa-state')).trim(), 'On');
    assert.equal((await page.textContent('#recovery-left')).trim(), '10 left');
  });

  await t.test('home page screenshot', async () => {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'home.png'), fullPage: true });
    await lookAt('home');
  });

  await t.test('sign out returns to the login page', async () => {
    await page.click('#logout');
    await expectPath('/');
    await page.locator('#login-form').waitFor({ state: 'visible' });
  });

  await t.test('signing in again asks for the second factor', async () => {
    await signIn(password);
    await expectPath('/mfa/challenge');
    await lookAt('challenge');
  });

  await t.test('the challenge refuses a wrong code and gives the focus back', async () => {
    expectFailedFetch('/mfa/challenge/verify');
    await page.fill('#challenge-code', wrongCode(secret, enrolledStep));
    await page.click('#challenge-submit');
    const error = page.locator('#challenge-error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()).trim(), /^That code is not valid\./);
    assert.equal(new URL(page.url()).pathname, '/mfa/challenge');
    await page.waitForFunction(() => document.activeElement?.id === 'challenge-code', null, { timeout: ACTION_TIMEOUT });
    await lookAt('challenge-error');
  });

  await t.test('the next step\'s code completes sign-in', async () => {
    // The enrollment step's code is spent (replays are refused); the server
    // accepts one step either side of now, so the next step's code is good
    // from now until the step after it ends.
    const now = stepAt(Date.now() / 1000);
    assert.ok(now <= enrolledStep + 2, `too slow: ${now - enrolledStep} steps since enrollment`);
    await page.fill('#challenge-code', totpForStep(secret, enrolledStep + 1));
    await page.click('#challenge-submit');
    await expectPath('/home');
    assert.equal((await page.textContent('#mfa-state')).trim(), 'On');
    assert.match(await page.textContent('#welcome'), new RegExp(`\\b${escapeRegExp(username)}\\b`));
  });

  await t.test('"Use another account" ends the pending sign-in and lands on the login page', async () => {
    await page.click('#logout');
    await expectPath('/');
    await signIn(password);
    await expectPath('/mfa/challenge');
    await page.click('#use-another-account');
    await expectPath('/');
    await page.locator('#login-form').waitFor({ state: 'visible' });
    const cookies = await context.cookies(url('/mfa/challenge'));
    assert.deepEqual(cookies.filter((c) => c.name === 'authportal_mfa'), [], 'the pending-MFA cookie is still there');
    await page.goto(url('/mfa/challenge'));
    await expectPath('/');
  });

  await t.test('too many sign-ins: the page says how long to wait', async () => {
    // Login allows a burst of 5 per address; earlier steps spent some. Spend
    // the rest until the server answers 429 (bounded: burst plus refills).
    const error = page.locator('#login-error');
    let text = '';
    for (let i = 0; i < 10 && !/^Too many/.test(text); i++) {
      expectFailedFetch('/api/auth/login');
      const answered = page.waitForResponse((r) => r.url() === url('/api/auth/login'));
      await signIn('definitely not the password');
      await answered;
      await error.waitFor({ state: 'visible' });
      text = (await error.textContent()).trim();
    }
    assert.match(text, /^Too many attempts\. Try again in (\d+ seconds|1 second|\d+ minutes?)\.$/);
    assert.equal(await activeId(), 'password');
    await lookAt('login-rate-limited');
  });

  await t.test('no console errors, page errors or foreign requests', (st) => {
    for (const line of contrastLog) st.diagnostic(line);
    assert.deepEqual(pageErrors, [], 'uncaught exceptions in page scripts');
    assert.deepEqual(consoleErrors, [], 'console errors');
    const foreign = requests.filter((r) => !r.startsWith('data:') && new URL(r).origin !== origin);
    assert.deepEqual(foreign, [], 'requests to hosts other than the portal');
  });
});
