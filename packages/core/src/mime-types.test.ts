import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mimeTypeFromFilename } from './mime-types.js';

test('a file name gives its type by extension, whatever its case and folders; unknown or no extension gives null', () => {
  assert.equal(mimeTypeFromFilename('invoice.PDF'), 'application/pdf');
  assert.equal(mimeTypeFromFilename('/tmp/scans.v2/page.jpeg'), 'image/jpeg');
  assert.equal(mimeTypeFromFilename('C:\\docs\\notes.md'), 'text/markdown');
  assert.equal(mimeTypeFromFilename('archive.tar.gz'), null);
  assert.equal(mimeTypeFromFilename('/tmp/scans.v2/README'), null);
  assert.equal(mimeTypeFromFilename('.json'), null);
  assert.equal(mimeTypeFromFilename('trailing.'), null);
});
