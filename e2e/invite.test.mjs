// Accepting an invite in a real browser: an admin makes an invite link,
// a friend opens it, chooses a username and password with the keyboard,
// and lands on the home page with access; the spent link then says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';
import { submitSignIn } from './signin.mjs';

const baseURL = process.env.E2E_BASE_URL;
const admin = process.env.E2E_ADMIN_USERNAME;
const password = process.env.E2E_PASSWORD;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !admin || !password
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

test('accept an invite with the keyboard and reach the home page with access', { timeout: 120_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);

  // The admin makes a link invite through the admin API.
  const adminCtx = await browser.newContext();
  adminCtx.setDefaultTimeout(TIMEOUT);
  const adminPage = await adminCtx.newPage();
  await adminPage.goto(url('/'));
  await submitSignIn(adminPage, admin, password);
  await adminPage.waitForURL(/\/home$/);
  const invite = await adminPage.evaluate(async () => {
    const res = await fetch('/api/admin/invites', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: true }),
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(invite.status, 201, JSON.stringify(invite.body));
  const link = invite.body.invite_url;
  assert.ok(link && link.startsWith(url('/invite/')), `invite_url ${link}`);

  // The friend, in a browser of their own.
  const ctx = await browser.newContext({ viewport: { width: 900, height: 900 } });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  await page.goto(link);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'the username has the focus');
  await lookAt(page, 'invite', contrastLog);

  // Keyboard only: two different passwords first, which the page refuses.
  const typeAll = async (fields) => {
    await page.focus('#username');
    for (const [i, value] of fields.entries()) {
      if (i > 0) await page.keyboard.press('Tab');
      await page.keyboard.press('Control+A');
      await page.keyboard.type(value);
    }
    await page.keyboard.press('Enter');
  };
  await typeAll(['invited-friend', 'Invited Friend', 'a long passphrase', 'another passphrase']);
  await page.waitForSelector('#invite-error');
  assert.match(await page.textContent('#invite-error'), /passwords differ/);
  await lookAt(page, 'invite-error', contrastLog);

  await typeAll(['invited-friend', 'Invited Friend', 'a long passphrase', 'a long passphrase']);
  await page.waitForURL(/\/home$/);
  assert.match(await page.textContent('#welcome'), /invited-friend/);
  assert.match(await page.textContent('#access-state'), /You have access/);
  const me = await page.evaluate(async () => (await fetch('/whoami')).json());
  assert.equal(me.authorized, true, 'the invited user is authorized');

  // The link is spent.
  const later = await browser.newContext({ viewport: { width: 900, height: 900 } });
  const spent = await later.newPage();
  const res = await spent.goto(link);
  assert.equal(res.status(), 410);
  assert.match(await spent.textContent('#invite-gone'), /already used/);
  await lookAt(spent, 'invite-used', contrastLog);

  await Promise.all([adminCtx.close(), ctx.close(), later.close()]);
  assert.deepEqual(errors, [], 'page errors');
});

// An invite that also makes the friend's Jellyfin account: the page says
// so, a name Jellyfin already has is refused in words, a free one lands home.
test('accept an invite that creates a Jellyfin account', { timeout: 120_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const jellyfinUser = process.env.E2E_JELLYFIN_USERNAME || 'jellyfan';
  const adminCtx = await browser.newContext();
  adminCtx.setDefaultTimeout(TIMEOUT);
  const adminPage = await adminCtx.newPage();
  await adminPage.goto(url('/'));
  await submitSignIn(adminPage, admin, password);
  await adminPage.waitForURL(/\/home$/);
  const invite = await adminPage.evaluate(async () => {
    const res = await fetch('/api/admin/invites', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ link: true, provision: 'jellyfin' }),
    });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(invite.status, 201, JSON.stringify(invite.body));

  const ctx = await browser.newContext({ viewport: { width: 900, height: 900 } });
  ctx.setDefaultTimeout(TIMEOUT);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  await page.goto(invite.body.invite_url);
  assert.match(await page.textContent('#invite-media'), /Jellyfin/);
  await lookAt(page, 'invite-provision', contrastLog);

  const submit = async (name) => {
    await page.fill('#username', name);
    await page.fill('#password', 'a long passphrase');
    await page.fill('#password2', 'a long passphrase');
    await page.press('#password2', 'Enter');
  };
  await submit(jellyfinUser);
  await page.waitForSelector('#invite-error');
  assert.match(await page.textContent('#invite-error'), /already taken on Jellyfin/);
  await lookAt(page, 'invite-provision-taken', contrastLog);

  await submit('provisioned-friend');
  await page.waitForURL(/\/home$/);
  const me = await page.evaluate(async () => (await fetch('/whoami')).json());
  assert.equal(me.authorized, true, 'the invited user is authorized');
  await Promise.all([adminCtx.close(), ctx.close()]);
  assert.deepEqual(errors, [], 'page errors');
});
