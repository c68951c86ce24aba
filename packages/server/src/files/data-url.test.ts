import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeDataUrl } from './data-url.js';

const MAX = 1024;

test('decodes base64 and percent-encoded payloads with their media type', () => {
  assert.deepEqual(decodeDataUrl('data:text/plain;base64,aGVsbG8=', 'a.txt', MAX), { mimeType: 'text/plain', bytes: Buffer.from('hello') });
  assert.deepEqual(decodeDataUrl('data:text/csv;charset=utf-8,a%2Cb%0A1%2C2', 'a.csv', MAX), { mimeType: 'text/csv', bytes: Buffer.from('a,b\n1,2') });
  assert.deepEqual(decodeDataUrl('data:,caf%C3%A9 %FF', 'x', MAX).bytes, Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x20, 0xff]));
  assert.equal(decodeDataUrl('data:application/pdf;base64,JVBE\nRi0=', 'a.pdf', MAX).bytes.toString(), '%PDF-');
});

test('refuses other URLs, malformed data URLs and bad payloads', () => {
  assert.throws(() => decodeDataUrl('https://example.com/a.pdf', 'a.pdf', MAX), { code: 'unsupported_file_location', message: /fetches nothing from the network: upload the file \(POST \/v1\/files\/upload/ });
  assert.throws(() => decodeDataUrl('not a url', 'a', MAX), { code: 'invalid_data_url' });
  assert.throws(() => decodeDataUrl('data:text/plain;base64', 'a', MAX), { code: 'invalid_data_url' });
  assert.throws(() => decodeDataUrl('data:text/plain;base64,@@@@', 'a', MAX), { code: 'invalid_data_url', message: /base64 alphabet/ });
  assert.throws(() => decodeDataUrl('data:text/plain,50%', 'a', MAX), { code: 'invalid_data_url', message: /%-escape/ });
});

test('refuses a payload over the limit before decoding it', () => {
  const big = 'data:text/plain;base64,' + 'A'.repeat(4 * 400);
  assert.throws(() => decodeDataUrl(big, 'big.txt', 1000), (error: any) => {
    assert.equal(error.code, 'file_too_large');
    assert.equal(error.details.max_bytes, 1000);
    assert.match(error.message, /big\.txt is 1\.2 KiB; the limit is 1000 bytes per file \(VERDICT_MAX_FILE_BYTES\)/);
    return true;
  });
  assert.throws(() => decodeDataUrl('data:,' + 'x'.repeat(1001), 'a', 1000), { code: 'file_too_large' });
});
