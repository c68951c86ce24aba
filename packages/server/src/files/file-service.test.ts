import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dataUrl } from '../testing/pdf-fixture.js';
import { BlobStore } from './blob-store.js';
import { createBlobFileService, type FileService } from './file-service.js';
import type { StoredFile } from './normalize.js';

let dataDir: string;
let service: FileService;
const rows = new Map<string, StoredFile & { organizationId: string }>();

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'verdict-file-service-'));
  service = createBlobFileService({
    blobs: new BlobStore(dataDir),
    maxFileBytes: 1000,
    records: {
      lookupFile: async (organizationId, id) => {
        const row = rows.get(id);
        return row?.organizationId === organizationId ? row : null;
      },
      lookupFileBySha256: async (organizationId, sha256) => [...rows.values()].find((row) => row.organizationId === organizationId && row.sha256 === sha256) ?? null,
      registerFile: async (organizationId, file) => {
        const row = { id: `file_${rows.size + 1}`, organizationId, ...file };
        rows.set(row.id, row);
        return row;
      },
    },
  });
});
after(() => rm(dataDir, { recursive: true, force: true }));

const never = new AbortController().signal;

test('file inputs become stored MaterializedDocuments; JSON inputs pass through', async () => {
  const { inputs, issues } = await service.normalizeHandleInputs('org_a', {
    'input-file-document': { type: 'file', document: { filename: 'a.txt', url: dataUrl('text/plain', 'hello') } },
    'input-json-meta': { type: 'json', data: { k: 1 } },
  });
  assert.deepEqual(issues, []);
  assert.deepEqual(inputs['input-json-meta'], { type: 'json', data: { k: 1 } });
  const file = inputs['input-file-document'];
  assert.equal(file.type, 'file');
  assert.match((file as any).document.gcs_uri, /^verdict-blob:\/\/[0-9a-f]{64}$/);
  const resolved = await service.resolve('org_a', (file as any).document, never);
  assert.equal((await resolved.read()).toString(), 'hello');
});

test('unusable files become issues with the handle path, other inputs are still normalised', async () => {
  const { issues } = await service.normalizeHandleInputs('org_a', {
    'input-file-a': { type: 'file', document: { filename: 'a.exe', url: dataUrl('application/x-msdownload', 'MZ') } },
    'input-file-b': { type: 'file', document: { id: 'file_1', filename: 'a.txt', mime_type: 'text/plain' } },
  });
  assert.deepEqual(issues.map((issue) => issue.path), ['input-file-a.document']);
  assert.match(issues[0].message, /a\.exe has type application\/x-msdownload/);
});

test('file ids are looked up within the organization only', async () => {
  const { issues } = await service.normalizeHandleInputs('org_b', {
    'input-file-document': { type: 'file', document: { id: 'file_1', filename: 'a.txt', mime_type: 'text/plain' } },
  });
  assert.match(issues[0].message, /This organization has no file `file_1`/);
  assert.equal(issues[0].code, 'file_not_found');
});

test('at run time a missing blob is a FileInputError (blob_missing)', async () => {
  const { inputs } = await service.normalizeHandleInputs('org_a', {
    'input-file-document': { type: 'file', document: { filename: 'gone.txt', url: dataUrl('text/plain', 'soon gone') } },
  });
  const document = (inputs['input-file-document'] as any).document;
  await unlink(join(dataDir, 'blobs', document.content_fingerprint.slice(0, 2), document.content_fingerprint));
  await assert.rejects(service.resolve('org_a', document, never), { name: 'FileInputError', code: 'blob_missing' });
});

test('at run time a stored reference to bytes the organization did not store is refused before it is read', async () => {
  const { inputs } = await service.normalizeHandleInputs('org_a', {
    'input-file-document': { type: 'file', document: { filename: 'letter.txt', url: dataUrl('text/plain', 'PIN 4821') } },
  });
  const document = (inputs['input-file-document'] as any).document;
  assert.equal((await (await service.resolve('org_a', document, never)).read()).toString(), 'PIN 4821');
  await assert.rejects(service.resolve('org_b', document, never), { name: 'FileInputError', code: 'file_not_found' });
  await assert.rejects(service.resolve('org_b', { id: document.original_id, filename: 'letter.txt', mime_type: 'text/plain' }, never), {
    name: 'FileInputError',
    code: 'file_not_found',
  });
});
