import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dataUrl } from '../testing/pdf-fixture.js';
import { BlobStore } from './blob-store.js';
import { fileRefOf, normalizeFileInput, resolvedFileInput, storeFile, type FileInputDeps, type StoredFile } from './normalize.js';

let dataDir: string;
let deps: FileInputDeps;
const files = new Map<string, StoredFile>();

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'verdict-files-'));
  deps = {
    blobs: new BlobStore(dataDir),
    maxFileBytes: 1000,
    lookupFile: async (id) => files.get(id) ?? null,
    lookupFileBySha256: async (sha256) => [...files.values()].find((file) => file.sha256 === sha256) ?? null,
    registerFile: async (file) => {
      const stored = { id: `file_${files.size + 1}`, ...file };
      files.set(stored.id, stored);
      return stored;
    },
  };
});
after(() => rm(dataDir, { recursive: true, force: true }));

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('MIMEData with a data: URL is checked, stored, recorded and materialised', async () => {
  const document = await normalizeFileInput({ filename: 'note.txt', url: dataUrl('text/plain', 'Total: 12 EUR') }, deps);
  const digest = sha('Total: 12 EUR');
  assert.equal(document.original_id, `file_${files.size}`);
  assert.deepEqual(document, {
    original_id: document.original_id,
    filename: 'note.txt',
    mime_type: 'text/plain',
    gcs_uri: `verdict-blob://${digest}`,
    size_bytes: 13,
    content_fingerprint: digest,
  });
  assert.equal((await resolvedFileInput(document, deps.blobs).read()).toString(), 'Total: 12 EUR');
});

test('a FileRef is looked up; an unknown id is file_not_found', async () => {
  const stored = await storeFile({ filename: 'a.json', bytes: Buffer.from('{"a":1}') }, deps);
  const document = await normalizeFileInput(fileRefOf(stored), deps);
  assert.equal(document.original_id, stored.id);
  assert.equal(document.mime_type, 'application/json');
  await assert.rejects(normalizeFileInput({ id: 'file_nope', filename: 'x', mime_type: 'text/plain' }, deps), {
    code: 'file_not_found',
    message: /This organization has no file `file_nope`; upload the file \(POST \/v1\/files\/upload/,
  });
});

test('a MaterializedDocument must point at an existing blob, or at a file known by its original id', async () => {
  const stored = await storeFile({ filename: 'b.txt', bytes: Buffer.from('bee') }, deps);
  const fromBlob = { original_id: 'file_elsewhere', filename: 'b.txt', mime_type: 'text/plain', gcs_uri: `verdict-blob://${stored.sha256}`, size_bytes: 3 };
  assert.deepEqual(await normalizeFileInput(fromBlob, deps), { ...fromBlob, content_fingerprint: stored.sha256 });

  const fromRetab = { original_id: stored.id, filename: 'b.txt', mime_type: 'text/plain', gcs_uri: 'gs://retab-user-files/x', size_bytes: 0 };
  assert.equal((await normalizeFileInput(fromRetab, deps)).gcs_uri, `verdict-blob://${stored.sha256}`);

  await assert.rejects(normalizeFileInput({ ...fromRetab, original_id: 'file_unknown' }, deps), { code: 'unsupported_file_location', message: /cannot read/ });
  await assert.rejects(normalizeFileInput({ ...fromBlob, gcs_uri: `verdict-blob://${'0'.repeat(64)}` }, deps), { code: 'file_not_found' });
});

test('bytes in the shared blob store that the organization never recorded are refused like absent ones, without touching the store', async () => {
  const unrecorded = await deps.blobs.putBlob(Buffer.from('stored by someone else'));
  const reference = (sha256: string) => ({ original_id: 'file_x', filename: 'x.txt', mime_type: 'text/plain', gcs_uri: `verdict-blob://${sha256}`, size_bytes: 0 });
  const errorOf = (sha256: string) => normalizeFileInput(reference(sha256), deps).then(() => null, (error) => ({ code: error.code, message: error.message, details: error.details }));
  const someoneElses = await errorOf(unrecorded.sha256);
  assert.deepEqual(someoneElses, await errorOf(sha('never stored')));
  assert.deepEqual(someoneElses, {
    code: 'file_not_found',
    message: 'This organization has no file with these bytes (sha256); upload the file (POST /v1/files/upload, PUT the bytes to its upload_url, POST /v1/files/upload/{file_id}/complete; or POST /v1/files) and pass {id, filename, mime_type} with its id, or send the bytes as a data: URL.',
    details: {},
  });
});

test('unusable uploads are refused before anything is stored', async () => {
  const before = files.size;
  await assert.rejects(normalizeFileInput({ filename: 'x.docx', url: dataUrl('application/msword', 'doc') }, deps), { code: 'unsupported_file_type' });
  await assert.rejects(normalizeFileInput({ filename: 'x.pdf', url: dataUrl('application/pdf', 'not a pdf') }, deps), { code: 'corrupt_file' });
  await assert.rejects(storeFile({ filename: 'big.txt', bytes: Buffer.alloc(1001, 'a') }, deps), { code: 'file_too_large' });
  await assert.rejects(storeFile({ filename: 'empty.txt', bytes: Buffer.alloc(0) }, deps), { code: 'corrupt_file', message: /empty/ });
  assert.equal(files.size, before);
});

test('a blank filename becomes "document"', async () => {
  const stored = await storeFile({ filename: '  ', bytes: Buffer.from('x'), mimeType: 'text/plain' }, deps);
  assert.equal(stored.filename, 'document');
});
