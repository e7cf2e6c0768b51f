import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, hotp, stepAt, totp } from './totp.mjs';

// RFC 6238 appendix B, SHA1: the seed is the ASCII "12345678901234567890".
const seed = Buffer.from('12345678901234567890', 'ascii');
// The same seed in base32, as the portal would show it.
const seedBase32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('base32 decodes the RFC 6238 seed', () => {
  assert.deepEqual(base32Decode(seedBase32), seed);
  assert.deepEqual(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'), seed);
  assert.throws(() => base32Decode('GEZ1'), /invalid character/);
});

test('RFC 6238 SHA1 test vector at T=59', () => {
  assert.equal(stepAt(59), 1);
  assert.equal(hotp(seed, 1, 8), '94287082');
  assert.equal(hotp(seed, 1, 6), '287082');
  assert.equal(totp(seedBase32, 59, 8), '94287082');
  assert.equal(totp(seedBase32, 59), '287082');
});

test('more RFC 6238 SHA1 vectors', () => {
  for (const [t, want] of [
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ]) {
    assert.equal(totp(seedBase32, t, 8), want, `T=${t}`);
  }
});

test('RFC 4226 HOTP vectors (zero-padded)', () => {
  const want = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  want.forEach((code, counter) => assert.equal(hotp(seed, counter), code, `counter ${counter}`));
});
