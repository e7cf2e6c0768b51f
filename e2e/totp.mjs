// RFC 6238 TOTP (HMAC-SHA1, 30-second steps), enough to answer AuthPortal's
// enrollment and challenge pages the way an authenticator app would.
import { createHmac } from 'node:crypto';

export const STEP_SECONDS = 30;

// base32Decode reads RFC 4648 base32 (case-insensitive; padding, spaces and
// dashes ignored), as authenticator apps accept a typed-in key.
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error(`base32: invalid character ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// stepAt is the RFC 6238 time step for a Unix time in seconds.
export function stepAt(unixSeconds, stepSeconds = STEP_SECONDS) {
  return Math.floor(unixSeconds / stepSeconds);
}

// hotp is RFC 4226: HMAC-SHA1 over the 8-byte big-endian counter, dynamic
// truncation, the low `digits` decimal digits, zero-padded.
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary =
    ((mac[offset] & 0x7f) << 24) |
    (mac[offset + 1] << 16) |
    (mac[offset + 2] << 8) |
    mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

// totpForStep is the code of a base32 secret for one time step.
export function totpForStep(secretBase32, step, digits = 6) {
  return hotp(base32Decode(secretBase32), step, digits);
}

// totp is the code of a base32 secret at a Unix time (now by default).
export function totp(secretBase32, unixSeconds = Date.now() / 1000, digits = 6) {
  return totpForStep(secretBase32, stepAt(unixSeconds), digits);
}
