// Forward auth's pages in a real browser: the login page's way back (rd)
// after signing in, and the 403 page verify shows a signed-in user for an
// app they may not open (here a host the portal does not protect), in both
// colour schemes on desktop and phone, and by keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';
import { submitSignIn } from './signin.mjs';

const baseURL = process.env.E2E_BASE_URL;
const username = process.env.E2E_FORWARD_USERNAME;
const password = process.env.E2E_PASSWORD;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !username || !password
  ? 'E2E_BASE_URL, E2E_FORWARD_USERNAME and E2E_PASSWORD are not set: run e2e/run.sh'
  : '';
const url = (path) => new URL(path, baseURL).toString();
const TIMEOUT = 15_000;

let browser;
const errors = [];
const contrastLog = [];

before(async () => {
  if (missingEnv) return;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test('sign in returns to rd; verify shows the deny page to a signed-in user', { timeout: 120_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));

  // rd on this site is a place to return to; a foreign one is dropped.
  await page.goto(url('/login?rd=' + encodeURIComponent('https://evil.example.org/')));
  assert.equal(await page.getAttribute('#login-form', 'data-next'), '', 'a foreign rd is not carried');
  const back = url('/account');
  await page.goto(url('/login?rd=' + encodeURIComponent(back)));
  await submitSignIn(page, username, password);
  await page.waitForURL(back);

  // The proxy's question, asked by the browser itself: a host nobody protects.
  await page.setExtraHTTPHeaders({ 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'wiki.example.test', 'X-Forwarded-Uri': '/' });
  const res = await page.goto(url('/api/auth/verify'));
  assert.equal(res.status(), 403);
  await page.setExtraHTTPHeaders({});
  assert.equal((await page.textContent('#denied')).trim(), 'No access to wiki.example.test');
  const body = await page.textContent('main');
  assert.match(body, /wiki\.example\.test is not one of the apps this portal lets people into\./);
  assert.match(body, /ask the administrator of this portal/);
  assert.match(body, new RegExp(`signed in as ${username}`));
  await lookAt(page, 'forward-denied', contrastLog);

  // By keyboard: the one action is reachable and visibly focused.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle }));
  assert.equal(focused.text, 'Go to your home page');
  assert.notEqual(focused.outline, 'none', 'the focused link shows its focus');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/home$/);

  await context.close();
  assert.deepEqual(errors, [], 'page errors');
  console.log(contrastLog.join('\n'));
});
