// The account page in a real browser: a local user links their Jellyfin
// account by signing in with it, and signs another of their devices out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';

const baseURL = process.env.E2E_BASE_URL;
const username = process.env.E2E_ACCOUNT_USERNAME;
const password = process.env.E2E_PASSWORD;
const linkUser = process.env.E2E_JELLYFIN_LINK_USERNAME;
const linkPassword = process.env.E2E_JELLYFIN_PASSWORD;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !username || !password || !linkUser || !linkPassword
  ? 'E2E_BASE_URL, E2E_ACCOUNT_USERNAME, E2E_PASSWORD, E2E_JELLYFIN_LINK_USERNAME and E2E_JELLYFIN_PASSWORD are not set: run e2e/run.sh'
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

async function signedIn(userAgent) {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 }, userAgent });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  await page.goto(url('/'));
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForURL(/\/home$/);
  return { context, page };
}

test('link a Jellyfin account and sign another device out from the account page', { timeout: 120_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const laptop = await signedIn(undefined);
  const phone = await signedIn('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Version/18.0 Mobile Safari/604.1');
  const page = laptop.page;

  await page.click('#account-link');
  await page.waitForURL(/\/account$/);
  assert.equal(await page.locator('#sessions li[data-session]').count(), 2, 'both devices are listed');
  await lookAt(page, 'account', contrastLog);

  // Link: the provider's own form, in the page; back on the account page.
  await page.click('button[data-link="jellyfin"]');
  await page.waitForURL(/\/auth\/forward\?jellyfin=1$/);
  await page.fill('#username', linkUser);
  await page.fill('#password', linkPassword);
  await page.click('#auth-submit');
  await page.waitForURL(/\/account\?done=linked/);
  const identities = await page.textContent('#identities');
  assert.match(identities, new RegExp(linkUser), 'the linked Jellyfin account is listed');
  assert.equal(await page.locator('button[data-link="jellyfin"]').count(), 0, 'no second Jellyfin link is offered');
  const me = await page.evaluate(async () => (await fetch('/whoami')).json());
  assert.equal(me.username, username, 'still the same user after linking');

  // Sign the phone out from the laptop.
  await page.locator('#sessions li', { hasText: 'iPhone' }).locator('button').click();
  await page.waitForURL(/\/account\?done=revoked&at=\d+$/);
  assert.equal(await page.locator('#sessions li[data-session]').count(), 1, 'only this browser is left');
  const phoneMe = await phone.page.evaluate(async () => (await fetch('/whoami')).json());
  assert.equal(phoneMe.authenticated, false, 'the phone is signed out');

  // From then on the Jellyfin account signs in as this user.
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(url('/auth/forward?jellyfin=1'));
  await other.fill('#username', linkUser);
  await other.fill('#password', linkPassword);
  await other.click('#auth-submit');
  await other.waitForURL(/\/home$/);
  const linkedMe = await other.evaluate(async () => (await fetch('/whoami')).json());
  assert.equal(linkedMe.username, username, 'signing in with the linked Jellyfin account is the same user');

  await Promise.all([laptop.context.close(), phone.context.close(), fresh.close()]);
  assert.deepEqual(errors, [], 'page errors');
});
