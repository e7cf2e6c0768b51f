// The Chromium every e2e file drives: Debian's binary (E2E_CHROMIUM), headless,
// with the flags without which its background connections are refused, many at
// a time, by this machine's closed network.
import { chromium } from 'playwright-core';

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}
