// Screenshots and their checks, for any page (a popup too), shared by
// every end-to-end test file.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');

// measureContrast runs in the page: every text against what is behind it
// (WCAG 2: 4.5:1, 3:1 for large text) and the edges of controls (3:1).
// Returns the lowest text ratio and everything below its minimum.
export function measureContrast() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  let min = Infinity;
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== '');
    if (!own || el.closest('[hidden]') || el.getClientRects().length === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || el.disabled) continue;
    const fg = parse(st.color);
    const bg = behind(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    min = Math.min(min, ratio);
    if (ratio < (large ? 3 : 4.5)) low.push(`${el.tagName.toLowerCase()}#${el.id} "${el.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
  }
  for (const el of document.querySelectorAll('input, button, .button')) {
    if (el.closest('[hidden]') || el.getClientRects().length === 0 || el.disabled) continue;
    const st = getComputedStyle(el);
    const border = parse(st.borderTopColor);
    const edge = parseFloat(st.borderTopWidth) > 0 && border.a > 0 ? border : parse(st.backgroundColor);
    const [hi, lo] = [lum(edge), lum(behind(el.parentElement))].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 3) low.push(`edge of ${el.tagName.toLowerCase()}#${el.id}: ${ratio.toFixed(2)}`);
  }
  return { min, low };
}

// lookAt photographs page as it is now in both colour schemes, on a desktop
// and a 390 px phone, into e2e/artifacts/<name>-<scheme>-<device>.png, and
// checks each for contrast and for a page wider than the screen. It appends
// the lowest contrast seen to log, and leaves the page's colour scheme
// unset and its viewport at restore.
export async function lookAt(page, name, log, restore = { width: 900, height: 900 }) {
  mkdirSync(artifacts, { recursive: true });
  for (const colorScheme of ['dark', 'light']) {
    for (const [device, width] of [['desktop', 1280], ['phone', 390]]) {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: 844 });
      await page.screenshot({ path: join(artifacts, `${name}-${colorScheme}-${device}.png`), fullPage: true });
      const { min, low } = await page.evaluate(measureContrast);
      log.push(`${name} ${colorScheme} ${device}: lowest text contrast ${min.toFixed(2)}:1`);
      assert.deepEqual(low, [], `${name}, ${colorScheme}, ${device}: text below WCAG AA contrast`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name}, ${colorScheme}, ${device}: ${overflow}px wider than the screen`);
    }
  }
  await page.emulateMedia({ colorScheme: null });
  await page.setViewportSize(restore);
}
