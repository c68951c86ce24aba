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
  // Temporary copies are removed after the answer (the last test waits for that); stored once means one blob.
  assert.deepEqual((await readdir(join(dataDir, 'blobs', sha256.slice(0, 2)))).filter((name) => !name.endsWith('.tmp')), [sha256]);
  assert.deepEqual(await blobs.readBlob(sha256), bytes);
  assert.equal(await blobs.hasBlob(sha256), true);
});

test('storing bytes that are already there costs as much as storing new ones (no timing tells an uploader they exist)', async () => {
  const letter = Buffer.alloc(2048, 'a');
  await blobs.putBlob(letter);
  const timed = async (bytes: Buffer) => {
    const started = performance.now();
    await blobs.putBlob(bytes);
    return performance.now() - started;
  };
  const existing: number[] = [];
  const fresh: number[] = [];
  for (let i = 0; i < 300; i++) {
    existing.push(await timed(letter));
    fresh.push(await timed(Buffer.concat([letter, Buffer.from(String(i))])));
  }
  const median = (samples: number[]) => samples.sort((a, b) => a - b)[samples.length >> 1]!;
  // Skipping the write for a known blob made it several times faster than a new one.
  assert.ok(median(existing) > median(fresh) / 2, `median ${median(existing).toFixed(3)} ms for known bytes, ${median(fresh).toFixed(3)} ms for new ones`);
  assert.deepEqual(await blobs.readBlob(createHash('sha256').update(letter).digest('hex')), letter);
});

test('no temporary copy stays behind, whether the bytes were new or known', async () => {
  const bytes = Buffer.from('stored twice');
  const { sha256 } = await blobs.putBlob(bytes);
  await blobs.putBlob(bytes);
  const directory = join(dataDir, 'blobs', sha256.slice(0, 2));
  const leftovers = async () => (await readdir(directory)).filter((name) => name.endsWith('.tmp'));
  for (let wait = 0; (await leftovers()).length > 0 && wait < 100; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(await leftovers(), []);
  assert.deepEqual(await blobs.readBlob(sha256), bytes);
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
