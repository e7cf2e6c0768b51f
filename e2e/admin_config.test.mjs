// The console's configuration tabs in a real browser: an admin edits the
// security section, a save from an older version is refused in words (409),
// a wrong value is shown beside its field, the edit is in History with its
// changes, and the earlier version is restored as a new one.
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

const status = (page) => page.textContent('#status');

test('an admin edits a section, sees it in History and restores the earlier version', { timeout: 180_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const { context, page } = await consolePage(browser, baseURL, adminName, password, errors, TIMEOUT);

  await page.goto(url('/admin#security'));
  assert.equal(await page.getAttribute('#tab-security', 'aria-selected'), 'true');
  const ttl = '#cfg-security-sessionTtl';
  await page.waitForSelector(ttl);
  const before = await page.inputValue(ttl);
  const startVersion = await page.evaluate(async () =>
    (await (await fetch('/api/admin/config')).json()).sections.find((s) => s.section === 'security').version);

  // A value the schema refuses: the problem, in words, beside the field.
  await page.fill(ttl, 'forever');
  await page.click('#config-security-save');
  await page.waitForSelector('#cfg-security-sessionTtl-error:not([hidden])');
  assert.match(await page.textContent('#cfg-security-sessionTtl-error'), /duration/);
  assert.equal(await page.getAttribute(ttl, 'aria-invalid'), 'true');

  // Saved.
  await page.fill(ttl, '12h');
  await page.fill('#config-security-reason', 'shorter sessions (e2e)');
  await page.click('#config-security-save');
  await page.waitForFunction(() => /^Saved: version \d+/.test(document.getElementById('status').textContent));
  const saved = Number((await status(page)).match(/version (\d+)/)[1]);
  assert.ok(saved > startVersion, `saved as version ${saved}, after ${startVersion}`);
  assert.match(await page.textContent('#config-security-version'), /shorter sessions \(e2e\)/);
  await lookAt(page, 'admin-security', contrastLog, { width: 1100, height: 900 });

  // Someone else saves meanwhile: this page's save is refused, in words.
  await page.evaluate(async (version) => {
    const res = await fetch('/api/admin/config/security', {
      method: 'PUT', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ version, config: { sessionTtl: '6h' }, reason: 'the other admin' }),
    });
    if (!res.ok) throw new Error('the other save: ' + res.status);
  }, saved);
  await page.fill(ttl, '8h');
  await page.click('#config-security-save');
  await page.waitForSelector('#config-security-error:not([hidden])');
  assert.match(await page.textContent('#config-security-error'), /Someone else saved this section first/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'config-security-reload', 'the focus is on Reload');
  await page.click('#config-security-reload');
  await page.waitForFunction(() => /^Reloaded/.test(document.getElementById('status').textContent));
  assert.equal(await page.inputValue(ttl), '6h', 'the reload shows the other admin\'s value');

  // History: the versions, their changes, and a restore of the one before.
  await page.click('#tab-history');
  await page.selectOption('#history-section', 'security');
  await page.waitForSelector(`#history-list li[data-version="${saved}"]`);
  await page.locator(`#history-list li[data-version="${saved}"]`).getByRole('button', { name: /^Changes/ }).click();
  await page.waitForFunction((v) => /sessionTtl: .*→ 12h/.test(document.querySelector(`#history-list li[data-version="${v}"] .changes`)?.textContent || ''), saved);
  await lookAt(page, 'admin-history', contrastLog, { width: 1100, height: 900 });
  await page.fill('#history-reason', 'back to how it was (e2e)');
  await page.locator(`#history-list li[data-version="${saved - 1 > 0 ? saved - 1 : saved}"]`).getByRole('button', { name: /^Restore/ }).click();
  await page.waitForFunction(() => /is current again, as version \d+/.test(document.getElementById('status').textContent));
  const now = await page.evaluate(async () =>
    (await (await fetch('/api/admin/config')).json()).sections.find((s) => s.section === 'security'));
  assert.equal(now.config.sessionTtl, before, 'the earlier value is current again');
  assert.equal(now.version, saved + 2, 'the restore is a new version');

  // The editor shows the restored value when opened again.
  await page.click('#tab-security');
  await page.waitForFunction((v) => document.getElementById('cfg-security-sessionTtl')?.value === v, before);

  // The providers section: every provider's settings as fields, secrets never shown.
  await page.click('#tab-providers');
  await page.waitForSelector('#cfg-providers-jellyfin-serverUrl');
  assert.match(await page.inputValue('#cfg-providers-jellyfin-serverUrl'), /^http:\/\/127\.0\.0\.1:/, 'the environment seeded the Jellyfin URL');
  assert.equal(await page.inputValue('#cfg-providers-jellyfin-apiKey'), '', 'a stored API key is never sent to the browser');
  assert.match(await page.textContent('label:has(#cfg-providers-jellyfin-apiKey)'), /A value is stored/);
  await lookAt(page, 'admin-providers', contrastLog, { width: 1100, height: 900 });

  await context.close();
  assert.deepEqual(errors, [], 'page errors');
});

test('an admin runs a backup, downloads it and restores it', { timeout: 180_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const { context, page } = await consolePage(browser, baseURL, adminName, password, errors, TIMEOUT);
  const security = () => page.evaluate(async () =>
    (await (await fetch('/api/admin/config')).json()).sections.find((s) => s.section === 'security'));

  await page.goto(url('/admin#backups'));
  await page.waitForSelector('#backup-run-sections input');
  // Nothing ticked: said in words, nothing made.
  for (const box of await page.locator('#backup-run-sections input').all()) await box.uncheck();
  await page.click('#backup-run-submit');
  await page.waitForSelector('#backup-run-error:not([hidden])');
  assert.match(await page.textContent('#backup-run-error'), /at least one section/);
  await page.locator('#backup-run-sections label', { hasText: 'Security' }).locator('input').check();
  await page.click('#backup-run-submit');
  await page.waitForFunction(() => /^Backup .* is made\.$/.test(document.getElementById('status').textContent));
  const name = (await page.textContent('#status')).match(/^Backup (\S+) is made/)[1];
  const row = page.locator(`#backup-list li[data-backup="${name}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /security/);

  // The download link gives the encrypted file.
  const href = await row.getByRole('link', { name: /^Download/ }).getAttribute('href');
  const file = await page.evaluate(async (h) => { const r = await fetch(h); return { status: r.status, size: (await r.arrayBuffer()).byteLength }; }, href);
  assert.equal(file.status, 200);
  assert.ok(file.size > 0, 'the file has bytes');

  // The schedule, saved as the backups section.
  await page.selectOption('#backup-schedule-every', 'daily');
  await page.fill('#backup-schedule-retention', '3');
  await page.click('#backup-schedule-save');
  await page.waitForFunction(() => /schedule is saved: every day/.test(document.getElementById('status').textContent));
  await lookAt(page, 'admin-backups', contrastLog, { width: 1100, height: 900 });

  // A change after the backup, then the backup restored over it.
  const was = await security();
  await page.evaluate(async (version) => {
    const res = await fetch('/api/admin/config/security', {
      method: 'PUT', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ version, config: { sessionTtl: '2h' }, reason: 'after the backup' }),
    });
    if (!res.ok) throw new Error('save: ' + res.status);
  }, was.version);
  await row.getByRole('button', { name: /^Restore/ }).click();
  await page.waitForFunction(() => /^Restored from /.test(document.getElementById('status').textContent));
  const now = await security();
  assert.equal(now.config.sessionTtl, was.config.sessionTtl, 'the backup\'s value is current again');
  assert.equal(now.version, was.version + 2, 'as a new version');

  // Deleted.
  await row.getByRole('button', { name: /^Delete/ }).click();
  await page.waitForFunction((n) => !document.querySelector(`#backup-list li[data-backup="${n}"]`), name);

  await context.close();
  assert.deepEqual(errors, [], 'page errors');
});

test('the SMTP tab sends a test mail and says in words what the server answered', { timeout: 60_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const { context, page } = await consolePage(browser, baseURL, adminName, password, errors, TIMEOUT);

  await page.goto(url('/admin#smtp'));
  await page.waitForSelector('#smtp-test-to');
  // The e2e portal has no mail server: the answer says so, beside the form.
  await page.fill('#smtp-test-to', 'friend@example.com');
  await page.click('#smtp-test-send');
  await page.waitForSelector('#smtp-test-error:not([hidden])');
  assert.match(await page.textContent('#smtp-test-error'), /No mail server is configured/);
  await lookAt(page, 'admin-smtp-test', contrastLog, { width: 1100, height: 900 });
  await context.close();
  assert.deepEqual(errors, [], 'page errors');
});
