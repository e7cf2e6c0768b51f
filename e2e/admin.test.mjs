// The admin console in a real browser: an admin signs in, reaches the
// console from the home page, adds a protected host (after a refused one,
// whose error shows beside the field), limits a user to that host, and
// finds what they did in the audit view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';
import { submitSignIn } from './signin.mjs';

const baseURL = process.env.E2E_BASE_URL;
const adminName = process.env.E2E_ADMIN_USERNAME;
const userName = process.env.E2E_USERNAME;
const password = process.env.E2E_PASSWORD;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !adminName || !userName || !password
  ? 'E2E_BASE_URL, E2E_ADMIN_USERNAME, E2E_USERNAME and E2E_PASSWORD are not set: run e2e/run.sh'
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

test('an admin adds a host and limits a user to it from the console', { timeout: 180_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  page.on('dialog', (d) => d.accept());

  // Signed out, the console sends the visitor to sign in, and back.
  await page.goto(url('/admin'));
  await page.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === '/admin');
  await submitSignIn(page, adminName, password);
  await page.waitForURL((u) => u.pathname === '/admin');
  await page.goto(url('/home'));
  await page.click('#console-link');
  await page.waitForURL((u) => u.pathname === '/admin');

  // Tabs: the first is selected; arrow keys move between them.
  assert.equal(await page.getAttribute('#tab-users', 'aria-selected'), 'true');
  await page.waitForSelector('#user-list li button[data-user]');
  await page.focus('#tab-users');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-hosts', 'ArrowRight moves to Hosts');
  assert.equal(await page.getAttribute('#tab-hosts', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#panel-users'), false, 'the users panel is hidden');
  assert.equal(await page.isVisible('#panel-hosts'), true, 'the hosts panel is shown');

  // A host that is not a host name: refused, in words, beside the field.
  await page.fill('#host-host', 'https://app.example.com');
  await page.press('#host-host', 'Enter');
  await page.waitForSelector('#host-host-error:not([hidden])');
  const fieldError = await page.textContent('#host-host-error');
  assert.match(fieldError, /host/i, 'the error names the host');
  assert.doesNotMatch(fieldError, /[{}"]/, 'the error is words, not JSON');
  assert.equal(await page.getAttribute('#host-host', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'host-host', 'the focus is on the field in error');
  assert.equal(await page.getAttribute('#host-host-error', 'role'), 'alert', 'a screen reader hears it');

  // Added for real.
  await page.fill('#host-host', 'App.Example.com');
  await page.fill('#host-name', 'The app');
  await page.click('#host-save');
  await page.waitForSelector('#host-list li[data-host="app.example.com"]');
  assert.match(await page.textContent('#status'), /app\.example\.com is added/);
  assert.equal(await page.inputValue('#host-host'), '', 'the form is empty again');
  await page.fill('#host-host', 'wiki.example.com');
  await page.click('#host-save');
  await page.waitForSelector('#host-list li[data-host="wiki.example.com"]');
  // The same name again: the API's conflict, in words.
  await page.fill('#host-host', 'app.example.com');
  await page.click('#host-save');
  await page.waitForSelector('#host-form-error:not([hidden])');
  assert.match(await page.textContent('#host-form-error'), /already/);
  await page.click('#host-cancel').catch(() => {}); // only shown while editing
  await page.fill('#host-host', '');
  await lookAt(page, 'admin-hosts', contrastLog, { width: 1100, height: 900 });

  // Users: find the user, limit them to app.example.com.
  await page.click('#tab-users');
  await page.fill('#user-filter', userName);
  await page.click(`#user-list button[data-user]:has(strong:text-is("${userName}"))`);
  await page.waitForSelector('#user-detail:not([hidden])');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'user-title', 'the focus moves to the user opened');
  assert.equal(await page.textContent('#user-title'), userName);
  await page.check('#permissions-form input[value="deny_all"]');
  await page.locator('#permission-hosts label', { hasText: 'app.example.com' }).locator('input').check();
  await page.click('#permissions-save');
  await page.waitForFunction(() => /Permissions saved/.test(document.getElementById('status').textContent));

  // The API says so too (the same session, the same JSON the page used).
  const saved = await page.evaluate(async (name) => {
    const all = await (await fetch('/api/admin/users')).json();
    const hosts = await (await fetch('/api/admin/hosts')).json();
    const u = all.users.find((x) => x.username === name);
    return { mode: u.permissions.mode, hosts: u.permissions.hosts.map((id) => hosts.hosts.find((h) => h.id === id).host) };
  }, userName);
  assert.deepEqual(saved, { mode: 'deny_all', hosts: ['app.example.com'] });

  // And forward auth decides by it: explained in words.
  await page.fill('#explain-host', 'wiki.example.com');
  await page.press('#explain-host', 'Enter');
  await page.waitForSelector('#explain-result:not([hidden])');
  assert.match(await page.textContent('#explain-result'), /^Denied\. .*only the hosts listed/);
  await page.fill('#explain-host', 'app.example.com');
  await page.click('#explain-submit');
  await page.waitForFunction(() => /^Allowed\./.test(document.getElementById('explain-result').textContent));
  await lookAt(page, 'admin-users', contrastLog, { width: 1100, height: 900 });

  // Audit: what the admin just did, found by who did it and what kind.
  await page.click('#tab-audit');
  await page.waitForSelector('#audit-list li');
  await page.fill('#audit-actor', adminName);
  await page.fill('#audit-type', 'host.');
  await page.click('#audit-search');
  await page.waitForFunction(() => document.querySelectorAll('#audit-list li[data-position]').length === 2);
  const audit = await page.textContent('#audit-list');
  assert.match(audit, /host\.added/);
  assert.match(audit, new RegExp(adminName + ' \\(admin\\)'), 'the actor is named');
  await page.fill('#audit-type', 'user.permissions_set');
  await page.press('#audit-type', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#audit-list li[data-position]').length === 1);
  await page.click('#audit-list details summary');
  assert.match(await page.textContent('#audit-list pre'), /deny_all/, 'the recorded event is shown');
  await lookAt(page, 'admin-audit', contrastLog, { width: 1100, height: 900 });
  // A time that is not one: refused in words beside the field, by the API.
  const bad = await page.evaluate(async () => (await fetch('/api/admin/audit?since=soon')).json());
  assert.match(bad.detail, /since/);

  // Reloading keeps the tab in the address.
  await page.click('#tab-hosts');
  await page.reload();
  assert.equal(await page.getAttribute('#tab-hosts', 'aria-selected'), 'true', 'the hosts tab after a reload');

  // A user who is not an admin gets no console.
  const other = await browser.newContext();
  const op = await other.newPage();
  await op.goto(url('/'));
  await submitSignIn(op, userName, password);
  await op.waitForURL(/\/(home|mfa\/challenge)$/);
  if (op.url().endsWith('/home')) {
    const res = await op.goto(url('/admin'));
    assert.equal(res.status(), 403);
    assert.equal(await op.locator('#admin-forbidden').count(), 1);
  }

  await Promise.all([context.close(), other.close()]);
  assert.deepEqual(errors, [], 'page errors');
});
