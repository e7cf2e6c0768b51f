// The console's Invites tab in a real browser: a mail invite without an
// address is refused in words, a mail invite is listed, and a link invite
// is shown once and revoked.
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

test('an admin makes a link invite, sees it once and revokes it', { timeout: 180_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const { context, page } = await consolePage(browser, baseURL, adminName, password, errors, TIMEOUT);
  await page.goto(url('/admin#invites'));
  await page.waitForSelector('#invite-list li');

  // By mail without an address: said beside the field.
  await page.click('#invite-submit');
  await page.waitForSelector('#invite-email-error:not([hidden])');
  assert.match(await page.textContent('#invite-email-error'), /e-mail address/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'invite-email');

  // By mail: listed with its state (no SMTP here, so it fails or waits).
  await page.fill('#invite-email', 'newcomer@example.com');
  await page.check('input[name="invite-mode"][value="deny_all"]');
  // Jellyfin is enabled with its API key here, so the invite may make the
  // friend's Jellyfin account too.
  await page.check('#invite-provision-jellyfin');
  await lookAt(page, 'admin-invites-provision', contrastLog, { width: 1100, height: 900 });
  const made = page.waitForResponse((r) => r.url().endsWith('/api/admin/invites') && r.request().method() === 'POST');
  await page.click('#invite-submit');
  assert.equal((await (await made).json()).provision, 'jellyfin', 'the invite asks for the Jellyfin account');
  assert.equal(await page.isChecked('#invite-provision-jellyfin'), false, 'the form is cleared after the invite');
  await page.waitForFunction(() => /invite to newcomer@example.com is on its way/.test(document.getElementById('status').textContent));
  await page.locator('#invite-list li', { hasText: 'newcomer@example.com' }).waitFor();

  // The mail an invite sends, previewed.
  await page.click('#invite-preview summary');
  await page.waitForFunction(() => document.getElementById('invite-preview-text').textContent.includes('/invite/'));
  assert.match(await page.textContent('#invite-preview-subject'), /^Subject: ./);

  // A link for two accounts.
  await page.check('input[name="invite-how"][value="link"]');
  assert.equal(await page.isVisible('#invite-email'), false, 'no address for a link');
  await page.fill('#invite-uses', '2');
  assert.equal(await page.isVisible('#invite-admin'), true, 'a link carries a role and permissions too');
  await page.check('input[name="invite-mode"][value="deny_all"]');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/admin/invites') && r.request().method() === 'POST');
  await page.click('#invite-submit');
  const madeLink = await (await created).json();
  assert.equal(madeLink.permission_mode, 'deny_all', 'the link keeps the mode chosen for it: ' + JSON.stringify(madeLink));
  await page.waitForSelector('#invite-link-box:not([hidden]), #invite-form-error:not([hidden])');
  assert.equal(await page.isVisible('#invite-form-error'), false, 'no error: ' + await page.textContent('#invite-form-error'));
  const link = await page.textContent('#invite-link-url');
  assert.ok(link.startsWith(url('/invite/')), `the link ${link}`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'invite-link-box');
  const row = page.locator('#invite-list li', { hasText: /^Link/ }).first();
  await row.waitFor();
  assert.match(await row.textContent(), /Link, 0 of 2 used/, 'the link is listed with its uses');
  assert.doesNotMatch(await page.textContent('#invite-list'), new RegExp(link.split('/').pop()), 'the list never shows the token');
  await lookAt(page, 'admin-invites', contrastLog, { width: 1100, height: 900 });
  await page.click('#invite-link-done');

  // Revoked: the link no longer opens an invite.
  await row.getByRole('button', { name: /^Revoke/ }).click();
  await page.waitForFunction(() => /invite is revoked/.test(document.getElementById('status').textContent));
  const other = await browser.newContext();
  const op = await other.newPage();
  await op.goto(link);
  assert.match(await op.textContent('h2'), /cannot be used/, 'a revoked link makes no account');
  await other.close();

  await context.close();
  assert.deepEqual(errors, [], 'page errors');
});
