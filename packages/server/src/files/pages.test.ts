import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MaterializedDocument } from '@verdict/core';
import { makeTextPdf, TINY_PNG } from '../testing/pdf-fixture.js';
import { documentToPages } from './pages.js';

function doc(filename: string, mime_type: string): MaterializedDocument {
  return { original_id: 'file_1', filename, mime_type, gcs_uri: 'verdict-blob://x', size_bytes: 0 };
}

test('a PDF gives the text layer of each page, numbered from 1', async () => {
  for (const compress of [false, true]) {
    const pdf = makeTextPdf(['Invoice 42 (copy)', 'Total due 99.50 EUR', 'Terms'], { compress });
    const { pages } = await documentToPages(doc('i.pdf', 'application/pdf'), pdf);
    assert.deepEqual(pages, [
      { index: 1, text: 'Invoice 42 (copy)' },
      { index: 2, text: 'Total due 99.50 EUR' },
      { index: 3, text: 'Terms' },
    ]);
  }
});

test('a text file is one page, or one per form feed', async () => {
  assert.deepEqual((await documentToPages(doc('a.txt', 'text/plain'), Buffer.from('hello'))).pages, [{ index: 1, text: 'hello' }]);
  assert.deepEqual((await documentToPages(doc('a.txt', 'text/plain; charset=utf-8'), Buffer.from('one\ftwo'))).pages, [
    { index: 1, text: 'one' },
    { index: 2, text: 'two' },
  ]);
});

test('an image is one page carrying a data URL', async () => {
  const { pages } = await documentToPages(doc('p.png', 'image/png'), TINY_PNG);
  assert.deepEqual(pages, [{ index: 1, imageDataUrl: `data:image/png;base64,${TINY_PNG.toString('base64')}` }]);
});

test('an unsupported type is a clear error', async () => {
  await assert.rejects(documentToPages(doc('a.docx', 'application/msword'), Buffer.from('x')), { code: 'unsupported_file_type', message: /a\.docx has type application\/msword/ });
});
