import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BlobStore, blobUri, sha256OfBlobUri } from './blob-store.js';

let dataDir: string;
let blobs: BlobStore;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'verdict-blobs-'));
  blobs = new BlobStore(dataDir);
});
after(() => rm(dataDir, { recursive: true, force: true }));

test('stores bytes under blobs/<sha[0:2]>/<sha> once, and reads them back', async () => {
  const bytes = Buffer.from('hello blob');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual(await blobs.putBlob(bytes), { sha256, size: 10 });
  assert.deepEqual(await blobs.putBlob(Buffer.from('hello blob')), { sha256, size: 10 });
  assert.deepEqual(await readdir(join(dataDir, 'blobs', sha256.slice(0, 2))), [sha256]);
  assert.deepEqual(await blobs.readBlob(sha256), bytes);
  assert.equal(await blobs.hasBlob(sha256), true);
});

test('a missing blob is blob_missing; a malformed hash never becomes a path', async () => {
  await assert.rejects(blobs.readBlob('0'.repeat(64)), { code: 'blob_missing' });
  await assert.rejects(blobs.requireBlob('0'.repeat(64)), { code: 'blob_missing' });
  await assert.rejects(blobs.readBlob('../../etc/passwd'), { code: 'blob_missing' });
  assert.equal(await blobs.hasBlob('../x'), false);
});

test('verdict-blob:// URIs', () => {
  const sha256 = 'a'.repeat(64);
  assert.equal(blobUri(sha256), `verdict-blob://${sha256}`);
  assert.equal(sha256OfBlobUri(`verdict-blob://${sha256.toUpperCase()}`), sha256);
  assert.equal(sha256OfBlobUri('gs://retab-user-files/file_1'), null);
  assert.equal(sha256OfBlobUri('verdict-blob://abc'), null);
});
