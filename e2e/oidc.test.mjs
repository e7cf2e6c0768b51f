// An app signs a user in through AuthPortal's OpenID Connect provider, in a
// real browser: the authorize request goes through the login page and back,
// the consent page is answered with the keyboard, and the app gets a code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { launchChromium } from './browser.mjs';
import { lookAt } from './look.mjs';
import { submitSignIn } from './signin.mjs';

const baseURL = process.env.E2E_BASE_URL;
const username = process.env.E2E_OIDC_USERNAME;
const password = process.env.E2E_PASSWORD;
const clientID = process.env.E2E_OIDC_CLIENT_ID;
const redirect = process.env.E2E_OIDC_REDIRECT;

// Without them there is nothing to test against: a failure, never a skip.
const missingEnv = !baseURL || !username || !password || !clientID || !redirect
  ? 'E2E_BASE_URL, E2E_OIDC_USERNAME, E2E_PASSWORD, E2E_OIDC_CLIENT_ID and E2E_OIDC_REDIRECT are not set: run e2e/run.sh'
  : '';
const TIMEOUT = 15_000;

let browser;
const contrastLog = [];

before(async () => {
  if (missingEnv) return;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (contrastLog.length) console.log(contrastLog.join('\n'));
});

test('sign in to an app through the consent page', { timeout: 120_000 }, async () => {
  assert.equal(missingEnv, '', missingEnv);
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  // The app: a server on the registered callback's port that answers anything.
  const app = createServer((req, res) => res.end('the app'));
  const { port } = new URL(redirect);
  await new Promise((resolve) => app.listen(Number(port), '127.0.0.1', resolve));

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({ client_id: clientID, redirect_uri: redirect, response_type: 'code',
    scope: 'openid profile email groups', state: 'e2e-state', nonce: 'e2e-nonce', code_challenge: challenge, code_challenge_method: 'S256' });
  await page.goto(new URL(`/oidc/authorize?${q}`, baseURL).toString());
  await page.waitForURL(/\/login\?next=/);
  await submitSignIn(page, username, password);

  await page.waitForSelector('#consent-title');
  assert.match(await page.textContent('#consent-title'), /Photo Album/);
  assert.equal(await page.locator('#consent-scopes li').count(), 4, 'one line per scope, in plain words');
  await lookAt(page, 'oidc-consent', contrastLog);

  // The Allow button has the focus: Enter answers.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'consent-allow');
  await Promise.all([page.waitForURL(`${redirect}**`), page.keyboard.press('Enter')]);
  const back = new URL(page.url());
  assert.ok(back.searchParams.get('code'), 'the app got a code');
  assert.equal(back.searchParams.get('state'), 'e2e-state');
  assert.equal(back.searchParams.get('iss'), new URL(baseURL).origin);

  // An address the app never registered gets the portal's error page.
  await page.goto(new URL(`/oidc/authorize?${new URLSearchParams({ ...Object.fromEntries(q), redirect_uri: `${redirect}.evil.test` })}`, baseURL).toString());
  await page.waitForSelector('#oidc-error');
  await lookAt(page, 'oidc-error', contrastLog);
  assert.deepEqual(errors, []);
  await context.close();
  app.close();
});
