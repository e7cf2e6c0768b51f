// Signing in from a test. Every e2e browser signs in from 127.0.0.1, and the
// portal's per-address budget (5 sign-ins, then one every 6 s) is shared by
// all the tests in the run: a sign-in that meets it waits the budget out, as
// its Retry-After says, and tries again, as a person would.
export async function submitSignIn(page, username, password, attempts = 5) {
  for (let i = 1; ; i++) {
    await page.fill('#username', username);
    await page.fill('#password', password);
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login');
    await page.click('#login-submit');
    const res = await answer;
    if (res.status() !== 429 || i === attempts) return res;
    await page.waitForTimeout(Number(res.headers()['retry-after'] || 6) * 1000 + 250);
  }
}

// consolePage opens a desktop-sized page in a context of its own, whose page
// errors go to errors and whose confirm dialogs are accepted (the console asks
// before it deletes), and signs username in from the login page.
export async function consolePage(browser, baseURL, username, password, errors, timeout = 15_000) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`${page.url()}: ${err.message}`));
  page.on('dialog', (d) => d.accept());
  await page.goto(new URL('/', baseURL).toString());
  await submitSignIn(page, username, password);
  await page.waitForURL((u) => u.pathname === '/home');
  return { context, page };
}
