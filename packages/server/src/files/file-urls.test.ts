import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { contentPath, fileIdOfVerdictUrl, FileUrlSigner, signedPath } from './file-urls.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');

test('a signature holds for its action, file and expiry only, and expires', () => {
  const signer = new FileUrlSigner(randomBytes(32));
  const params = signer.sign('upload', 'file_a', NOW + 60_000);
  assert.equal(signer.check('upload', 'file_a', params, NOW), 'valid');
  assert.equal(signer.check('upload', 'file_a', { ...params, expires: String(params.expires) }, NOW), 'valid', 'as a query string gives it');
  assert.equal(signer.check('upload', 'file_a', params, NOW + 60_000), 'expired');
  assert.equal(signer.check('download', 'file_a', params, NOW), 'forged', 'an upload URL does not download');
  assert.equal(signer.check('upload', 'file_b', params, NOW), 'forged');
  assert.equal(signer.check('upload', 'file_a', { ...params, expires: params.expires + 1 }, NOW), 'forged', 'the expiry cannot be extended');
  assert.equal(signer.check('upload', 'file_a', { expires: 'soon', signature: params.signature }, NOW), 'forged');
  assert.equal(signer.check('upload', 'file_a', {}, NOW), 'forged');
  assert.equal(new FileUrlSigner(randomBytes(32)).check('upload', 'file_a', params, NOW), 'forged', "another deployment's secret");
});

test("Verdict's own file URLs name a file id; any other URL names nothing", () => {
  assert.equal(fileIdOfVerdictUrl(`https://verdict.example.com${contentPath('file_01ABC')}`), 'file_01ABC');
  assert.equal(fileIdOfVerdictUrl(`http://localhost:8787/base${signedPath('download', 'file_01ABC', { expires: 1, signature: 'x' })}`), 'file_01ABC');
  for (const url of [
    'https://storage.retab.com/org/file_01ABC.pdf',
    'gs://bucket/v1/files/file_01ABC/content',
    'https://example.com/v1/files/file_01ABC/content/extra',
    'https://example.com/v1/files/../file_01ABC/content',
    'data:text/plain,hello',
    'not a url',
  ]) {
    assert.equal(fileIdOfVerdictUrl(url), null, url);
  }
});
