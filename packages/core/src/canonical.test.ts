import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fingerprint, sha256Hex } from './canonical.js';

test('sha256Hex is SHA-256 in hex (FIPS 180-2 test vectors), and fingerprints stay the 16 characters they always were', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(fingerprint({ b: 1, a: [true, null] }), sha256Hex('{"a":[true,null],"b":1}').slice(0, 16));
});
