// The console's OAuth clients tab in a real browser: an admin adds a
// client (a wrong redirect refused beside its field), sees its secret once,
// changes it, gives it a new secret, and deletes it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';
import { consolePage } from './signin.mjs';

const baseURL = process.env.E2E_BASE_URL;
const adminName = process.env.E2E_ADMIN_USERNAME;
const password = process.env.E2E_PASSWORD;

const missingEnv = !baseURL || !adminName || !password
  ? 'E2E_BASE_URL, E2E_ADMIN_USERNAME and E2E_PASSWORD are not set: run e2e/run.sh'
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
  if (contrastLog.length) console.log(contrastLog.join('\n'));
});

test('an admin adds, changes, rotates and deletes an OAuth client', { timeout: 180_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const { context, page } = await consolePage(browser, baseURL, adminName, password, errors, TIMEOUT);
  await page.goto(url('/admin#clients'));
  await page.waitForSelector('#client-list li');

  // A redirect that is not https (nor http on localhost): refused in words.
  await page.fill('#client-name', 'Wiki');
  await page.fill('#client-redirects', 'http://wiki.example.com/callback');
  await page.click('#client-save');
  await page.waitForSelector('#client-form-error:not([hidden]), #client-redirects-error:not([hidden])');
  const refusal = await page.evaluate(() => [...document.querySelectorAll('#client-form .error:not([hidden])')].map((e) => e.textContent).join(' '));
  assert.match(refusal, /\w/);
  assert.doesNotMatch(refusal, /[{}]/, 'words, not JSON');

  // Added: the secret is shown once, with the focus on it.
  await page.fill('#client-redirects', 'https://wiki.example.com/callback');
  await page.click('#client-save');
  await page.waitForSelector('#client-secret-box:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'client-secret-box');
  const clientId = await page.textContent('#client-secret-id');
  const first = await page.textContent('#client-secret-value');
  assert.ok(first.length >= 20, 'a secret is shown');
  const row = page.locator(`#client-list li[data-client="${clientId}"]`);
  await row.waitFor();
  assert.doesNotMatch(await page.textContent('#client-list'), new RegExp(first), 'the list never shows the secret');
  await lookAt(page, 'admin-clients', contrastLog, { width: 1100, height: 900 });
  await page.click('#client-secret-done');
  assert.equal(await page.isVisible('#client-secret-box'), false);

  // Changed.
  await row.getByRole('button', { name: /^Edit/ }).click();
  assert.equal(await page.isDisabled('#client-public'), true, 'public is set when added only');
  await page.fill('#client-name', 'The wiki');
  await page.click('#client-save');
  await page.waitForFunction(() => /The wiki is saved/.test(document.getElementById('status').textContent));
  await page.locator(`#client-list li[data-client="${clientId}"]`, { hasText: 'The wiki' }).waitFor();

  // A new secret, shown once; the old one is gone.
  await row.getByRole('button', { name: /^New secret/ }).click();
  await page.waitForSelector('#client-secret-box:not([hidden])');
  const second = await page.textContent('#client-secret-value');
  assert.ok(second.length >= 20 && second !== first, 'a different secret');
  await page.click('#client-secret-done');

  // Deleted.
  await row.getByRole('button', { name: /^Delete/ }).click();
  await page.waitForFunction((id) => !document.querySelector(`#client-list li[data-client="${id}"]`), clientId);

  await context.close();
  assert.deepEqual(errors, [], 'page errors');
});
