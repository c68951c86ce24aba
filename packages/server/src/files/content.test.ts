import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTextPdf, TINY_PNG } from '../testing/pdf-fixture.js';
import { checkContent, sniffMimeType } from './content.js';

test('accepts text, PDF and images, taking the type from the declaration, the filename, then the bytes', async () => {
  assert.deepEqual(await checkContent(Buffer.from('a,b'), 'x.csv', 'text/csv; charset=utf-8'), { mimeType: 'text/csv', kind: 'text' });
  assert.deepEqual(await checkContent(Buffer.from('{"a":1}'), 'x.json', null), { mimeType: 'application/json', kind: 'text' });
  assert.deepEqual(await checkContent(Buffer.from('# Title'), 'notes.md', 'application/octet-stream'), { mimeType: 'text/markdown', kind: 'text' });
  assert.deepEqual(await checkContent(makeTextPdf(['x']), 'scan', undefined), { mimeType: 'application/pdf', kind: 'pdf' });
  assert.deepEqual(await checkContent(TINY_PNG, 'pixel.png', 'image/png'), { mimeType: 'image/png', kind: 'image' });
});

test('refuses unsupported types with the list of supported ones', async () => {
  await assert.rejects(checkContent(Buffer.from('PK\u0003\u0004'), 'report.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'), {
    code: 'unsupported_file_type',
    message: /report\.docx has type application\/vnd\.openxml.*; Verdict reads text .*PDF with a text layer, and PNG, JPEG, GIF or WebP images/,
  });
  await assert.rejects(checkContent(Buffer.from([1, 2, 3]), 'blob', null), { code: 'unsupported_file_type', message: /an unknown type/ });
  await assert.rejects(checkContent(Buffer.from('II*\u0000'), 'scan.tiff', 'image/tiff'), { code: 'unsupported_file_type' });
});

test('refuses content that does not match its type', async () => {
  await assert.rejects(checkContent(Buffer.from('hello'), 'a.pdf', 'application/pdf'), { code: 'corrupt_file', message: /bytes are not application\/pdf/ });
  await assert.rejects(checkContent(TINY_PNG, 'a.jpg', 'image/jpeg'), { code: 'corrupt_file', message: /bytes are image\/png, not image\/jpeg/ });
  await assert.rejects(checkContent(Buffer.from([0xff, 0xfe, 0x00]), 'a.txt', 'text/plain'), { code: 'corrupt_file', message: /not valid UTF-8/ });
  await assert.rejects(checkContent(Buffer.from('a\u0000b'), 'a.txt', 'text/plain'), { code: 'corrupt_file', message: /binary data/ });
});

test('refuses a truncated or garbled PDF', async () => {
  const pdf = makeTextPdf(['Invoice']);
  await assert.rejects(checkContent(pdf.subarray(0, 40), 'cut.pdf', 'application/pdf'), { code: 'corrupt_file', message: /cut\.pdf is not a readable PDF/ });
  await assert.rejects(checkContent(Buffer.from('%PDF-1.7\ngarbage'), 'bad.pdf', null), { code: 'corrupt_file' });
});

test('sniffs magic numbers', () => {
  assert.equal(sniffMimeType(Buffer.from('GIF89a...')), 'image/gif');
  assert.equal(sniffMimeType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ')), 'image/webp');
  assert.equal(sniffMimeType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
  assert.equal(sniffMimeType(Buffer.from('plain')), null);
});
