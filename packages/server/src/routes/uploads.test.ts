import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { MAX_PENDING_UPLOADS } from '../files/index.js';
import { startFakeModelServer, type FakeModelServer } from '../testing/fake-model-server.js';
import { allResults, otherOrganizationKey, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

const LETTER = Buffer.from('Dear customer,\nyour invoice INV-7 is paid.\n');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The path and query of an absolute URL this server handed out (inject() takes no host). */
const local = (url: string) => {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
};

async function reserve(app: TestApp, body: Record<string, unknown>, key = app.apiKey) {
  return app.request('POST', '/v1/files/upload', body, { 'api-key': key });
}

/** The PUT a storage client makes: no API key, the returned headers, the bytes. */
async function put(app: TestApp, uploadUrl: string, bytes: Buffer | Readable, headers: Record<string, string> = {}) {
  const response = await app.app.inject({ method: 'PUT', url: local(uploadUrl), headers: { 'content-type': 'application/octet-stream', ...headers }, payload: bytes });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
}

async function uploadAll(app: TestApp, filename: string, bytes: Buffer, key = app.apiKey) {
  const reserved = await reserve(app, { filename, size_bytes: bytes.length, sha256: sha256(bytes) }, key);
  assert.equal(reserved.status, 201, JSON.stringify(reserved.body));
  assert.equal((await put(app, reserved.body.upload_url, bytes, reserved.body.upload_headers)).status, 200);
  const completed = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {}, { 'api-key': key });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  return { fileId: reserved.body.file_id as string, mimeData: completed.body as { filename: string; url: string } };
}

/** An extract block under test; the returned function creates a test of it with one file input. */
async function textBlockTest(app: TestApp, key = app.apiKey) {
  const headers = { 'api-key': key };
  const workflow = await app.request('POST', '/v1/workflows', { name: 'uploads' }, headers);
  const block = await app.request(
    'POST',
    '/v1/workflows/blocks',
    { workflow_id: workflow.body.id, type: 'extract', config: { model: 'm', json_schema: { type: 'object', properties: { total: { type: 'number' } } } } },
    headers,
  );
  assert.equal(block.status, 201, JSON.stringify(block.body));
  const create = (input: unknown) =>
    app.request(
      'POST',
      '/v1/workflows/tests',
      {
        workflow_id: workflow.body.id,
        target: { type: 'block', block_id: block.body.id },
        source: { type: 'manual', handle_inputs: { 'input-file-document': input } },
        assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: 12.5 } },
      },
      headers,
    );
  return Object.assign(create, { workflowId: workflow.body.id as string });
}

for (const kind of testStores()) {
  describe(`Retab's upload flow (${kind})`, () => {
    let app: TestApp;
    let keyB: string;
    before(async () => {
      app = await startTestApp(kind, { maxFileBytes: 64 * 1024 });
      keyB = await otherOrganizationKey(app, 'uploads-org-b');
    });
    after(() => app.close());

    test('reserve, PUT without the API key, complete, download: the same bytes, every key in both casings', async () => {
      const reserved = await reserve(app, { filename: 'letter.txt', content_type: 'text/plain', size_bytes: LETTER.length, sha256: sha256(LETTER) });
      assert.equal(reserved.status, 201, JSON.stringify(reserved.body));
      const body = reserved.body;
      for (const [snake, camel] of [
        ['file_id', 'fileId'],
        ['upload_url', 'uploadUrl'],
        ['upload_method', 'uploadMethod'],
        ['upload_headers', 'uploadHeaders'],
        ['mime_data', 'mimeData'],
        ['expires_at', 'expiresAt'],
      ]) {
        assert.notEqual(body[snake], undefined, snake);
        assert.deepEqual(body[snake], body[camel], camel);
      }
      assert.equal(body.upload_method, 'PUT');
      assert.deepEqual(body.upload_headers, { 'Content-Type': 'text/plain' });
      assert.match(body.upload_url, new RegExp(`^http://localhost(:\\d+)?/v1/files/upload/${body.file_id}\\?expires=\\d+&signature=[\\w-]+$`));
      assert.ok(Date.parse(body.expires_at) > Date.now());
      assert.deepEqual(body.mime_data, { filename: 'letter.txt', url: `http://localhost:80/v1/files/${body.file_id}/content` });

      assert.deepEqual(await put(app, body.upload_url, LETTER, body.upload_headers), { status: 200, body: undefined });
      const completed = await app.request('POST', `/v1/files/upload/${body.file_id}/complete`, { sha256: sha256(LETTER) });
      assert.equal(completed.status, 200, JSON.stringify(completed.body));
      assert.deepEqual(completed.body, body.mime_data);
      const again = await app.request('POST', `/v1/files/upload/${body.file_id}/complete`, {});
      assert.deepEqual([again.status, again.body], [200, completed.body], 'completing twice answers the same file');

      const file = await app.request('GET', `/v1/files/${body.file_id}`);
      assert.equal(file.status, 200);
      assert.deepEqual({ ...file.body, created_at: undefined, updated_at: undefined }, {
        object: 'file',
        id: body.file_id,
        filename: 'letter.txt',
        mime_type: 'text/plain',
        size_bytes: LETTER.length,
        created_at: undefined,
        updated_at: undefined,
      });

      const link = await app.request('GET', `/v1/files/${body.file_id}/download-link`);
      assert.equal(link.status, 200);
      assert.equal(link.body.expires_in, '3600s');
      assert.equal(link.body.filename, 'letter.txt');
      assert.deepEqual(link.body.mime_data, completed.body);
      const download = await app.app.inject({ method: 'GET', url: local(link.body.download_url) });
      assert.equal(download.statusCode, 200);
      assert.deepEqual(download.rawPayload, LETTER, 'the signed download answers the uploaded bytes, without the API key');
      assert.match(String(download.headers['content-disposition']), /^attachment/);
      const content = await app.app.inject({ method: 'GET', url: local(completed.body.url), headers: { 'api-key': app.apiKey } });
      assert.deepEqual([content.statusCode, content.rawPayload], [200, LETTER]);
      assert.equal((await app.app.inject({ method: 'GET', url: local(completed.body.url) })).statusCode, 401, 'the durable URL needs the API key');
    });

    test('a JSON file PUT as application/json (as Retab\'s CLI sends it) is stored as its bytes', async () => {
      const json = Buffer.from('{"invoice": "INV-7", "total": 12.5}');
      const reserved = await reserve(app, { filename: 'invoice.json', content_type: 'application/json', size_bytes: json.length });
      assert.equal((await put(app, reserved.body.upload_url, json, { 'content-type': 'application/json' })).status, 200);
      const completed = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`);
      assert.equal(completed.status, 200, JSON.stringify(completed.body));
      assert.equal((await app.request('GET', `/v1/files/${reserved.body.file_id}`)).body.mime_type, 'application/json');
      const content = await app.app.inject({ method: 'GET', url: local(completed.body.url), headers: { 'api-key': app.apiKey } });
      assert.deepEqual(content.rawPayload, json);
    });

    test('VERDICT_PUBLIC_URL decides the host of the URLs handed out', async () => {
      const behindProxy = await startTestApp(kind, { publicUrl: 'https://verdict.example.com/base/' });
      try {
        const reserved = await reserve(behindProxy, { filename: 'a.txt', size_bytes: 3 });
        assert.match(reserved.body.upload_url, /^https:\/\/verdict\.example\.com\/base\/v1\/files\/upload\/file_/);
        assert.equal(reserved.body.mime_data.url, `https://verdict.example.com/base/v1/files/${reserved.body.file_id}/content`);
      } finally {
        await behindProxy.close();
      }
    });

    test('the URL that completing answers, and the file id, name the stored file in a test; responses carry both generations of keys', async () => {
      const { fileId, mimeData } = await uploadAll(app, 'letter.txt', LETTER);
      const create = await textBlockTest(app);
      const byUrl = await create({ type: 'file', document: mimeData });
      assert.equal(byUrl.status, 201, JSON.stringify(byUrl.body));
      const document = byUrl.body.source.handle_inputs['input-file-document'].document;
      assert.deepEqual(document, {
        id: fileId,
        original_id: fileId,
        filename: 'letter.txt',
        mime_type: 'text/plain',
        gcs_uri: `verdict-blob://${sha256(LETTER)}`,
        size_bytes: LETTER.length,
        content_fingerprint: sha256(LETTER),
      });
      const byRef = await create({ type: 'file', document: { id: fileId, filename: 'letter.txt', mime_type: 'text/plain' } });
      assert.deepEqual(byRef.body.source, byUrl.body.source);
      const byOriginalId = await create({ document: { original_id: fileId, filename: 'letter.txt', mime_type: 'text/plain' } });
      assert.equal(byOriginalId.status, 201, 'a MaterializedDocument without gcs_uri, and an input without type, name the file by original_id');
      assert.deepEqual(byOriginalId.body.source, byUrl.body.source);
      const echoed = await create({ type: 'file', document });
      assert.deepEqual(echoed.body.source, byUrl.body.source, 'a response document sent back as it came');
      const dataUrl = await create({ document: { filename: 'note.txt', url: `data:text/plain;base64,${LETTER.toString('base64')}` } });
      assert.equal(dataUrl.status, 201, JSON.stringify(dataUrl.body));
      assert.equal(dataUrl.body.source.handle_inputs['input-file-document'].document.content_fingerprint, sha256(LETTER));
      const listed = await app.request('GET', `/v1/workflows/tests?workflow_id=${byUrl.body.workflow_id}`);
      assert.deepEqual(listed.body.data.find((row: any) => row.id === byUrl.body.id).source, byUrl.body.source);
    });

    test('URLs Verdict would have to fetch, and ids the organization does not have, are 422 saying how to upload', async () => {
      const create = await textBlockTest(app);
      for (const url of ['https://storage.retab.com/org/file_1.pdf', 'http://example.com/a.pdf', 'gs://bucket/a.pdf']) {
        const refused = await create({ type: 'file', document: { filename: 'a.pdf', url } });
        assert.equal(refused.status, 422, url);
        assert.equal(refused.body.detail.code, 'validation_error');
        assert.equal(refused.body.detail.details.issues[0].code, 'unsupported_file_location');
        assert.match(refused.body.detail.message, /fetches nothing from the network: upload the file \(POST \/v1\/files\/upload, PUT the bytes to its upload_url/);
      }
      const unknown = await create({ type: 'file', document: { id: 'file_unknown1', filename: 'a.txt', mime_type: 'text/plain' } });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.detail.details.issues[0].code, 'file_not_found');
      assert.match(unknown.body.detail.message, /This organization has no file `file_unknown1`; upload the file/);
      const theirs = await uploadAll(app, 'theirs.txt', Buffer.from('org B only'), keyB);
      const probe = await create({ type: 'file', document: { id: theirs.fileId, filename: 'a.txt', mime_type: 'text/plain' } });
      assert.deepEqual(JSON.parse(JSON.stringify(probe.body).replaceAll(theirs.fileId, 'file_unknown1')), unknown.body, "another organization's id is answered like an unknown one");
      const theirUrl = await create({ type: 'file', document: theirs.mimeData });
      assert.equal(theirUrl.status, 422, "another organization's content URL names nothing");
      assert.equal(theirUrl.body.detail.details.issues[0].code, 'file_not_found');
    });

    test("another organization's uploads and files are 404, and never listed", async () => {
      const mine = await uploadAll(app, 'mine.txt', Buffer.from('org A'));
      const asB = { 'api-key': keyB };
      for (const path of [`/v1/files/${mine.fileId}`, `/v1/files/${mine.fileId}/download-link`, `/v1/files/${mine.fileId}/content`]) {
        const answer = await app.request('GET', path, undefined, asB);
        assert.equal(answer.status, 404, path);
        assert.equal(answer.body.detail.code, 'file_not_found');
      }
      const pending = await reserve(app, { filename: 'p.txt', size_bytes: 3 });
      const completeAsB = await app.request('POST', `/v1/files/upload/${pending.body.file_id}/complete`, {}, asB);
      assert.deepEqual([completeAsB.status, completeAsB.body.detail.code], [404, 'upload_not_found']);
      const completedAsB = await app.request('POST', `/v1/files/upload/${mine.fileId}/complete`, {}, asB);
      assert.deepEqual([completedAsB.status, completedAsB.body.detail.code], [404, 'upload_not_found']);
      const listB = await app.request('GET', '/v1/files?limit=100', undefined, asB);
      assert.equal(listB.body.data.some((file: any) => file.id === mine.fileId), false);
      const listA = await app.request('GET', '/v1/files?limit=100');
      assert.ok(listA.body.data.some((file: any) => file.id === mine.fileId));
      assert.ok(listA.body.data.every((file: any) => file.object === 'file'));
    });

    test('GET /v1/files pages with list_metadata like every list', async () => {
      const fresh = await otherOrganizationKey(app, 'uploads-pages');
      const ids = [];
      for (const name of ['1.txt', '2.txt', '3.txt']) ids.push((await uploadAll(app, name, Buffer.from(name), fresh)).fileId);
      const first = await app.request('GET', '/v1/files?limit=2&order=asc', undefined, { 'api-key': fresh });
      assert.deepEqual(first.body.data.map((file: any) => file.id), ids.slice(0, 2));
      assert.equal(first.body.list_metadata.after, ids[1]);
      const second = await app.request('GET', `/v1/files?limit=2&order=asc&after=${ids[1]}`, undefined, { 'api-key': fresh });
      assert.deepEqual(second.body.data.map((file: any) => file.id), ids.slice(2));
      assert.equal(second.body.list_metadata.after, null);
      const named = await app.request('GET', '/v1/files?filename=2.txt', undefined, { 'api-key': fresh });
      assert.deepEqual(named.body.data.map((file: any) => file.id), [ids[1]]);
    });

    test('the PUT takes exactly the reserved size (larger is 413, declared or streamed; smaller 422), once', async () => {
      const reserved = await reserve(app, { filename: 'small.txt', size_bytes: 10 });
      const declaredLarger = await put(app, reserved.body.upload_url, Buffer.alloc(11, 'a'));
      assert.deepEqual([declaredLarger.status, declaredLarger.body.detail.code], [413, 'payload_too_large']);
      const streamed = await put(app, reserved.body.upload_url, Readable.from([Buffer.alloc(8, 'a'), Buffer.alloc(8, 'b')]));
      assert.deepEqual([streamed.status, streamed.body.detail.code], [413, 'payload_too_large'], 'a body without Content-Length is cut off at the reserved size');
      const smaller = await put(app, reserved.body.upload_url, Buffer.alloc(9, 'a'));
      assert.deepEqual([smaller.status, smaller.body.detail.code], [422, 'upload_mismatch']);
      const notYet = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {});
      assert.deepEqual([notYet.status, notYet.body.detail.code], [422, 'upload_mismatch'], 'nothing was stored for the refused PUTs');
      assert.equal((await put(app, reserved.body.upload_url, Buffer.alloc(10, 'a'))).status, 200);
      assert.equal((await put(app, reserved.body.upload_url, Buffer.alloc(10, 'a'))).status, 200, 'a retried PUT of the same bytes');
      const otherBytes = await put(app, reserved.body.upload_url, Buffer.alloc(10, 'b'));
      assert.deepEqual([otherBytes.status, otherBytes.body.detail.code], [409, 'conflict'], 'one reservation stores one body');
      assert.equal((await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {})).status, 200);
      const content = await app.app.inject({ method: 'GET', url: `/v1/files/${reserved.body.file_id}/content`, headers: { 'api-key': app.apiKey } });
      assert.deepEqual(content.rawPayload, Buffer.alloc(10, 'a'));
    });

    test('reservations are bounded: over the file size limit 413, a bad sha256 422, a wrong checksum at completion 422', async () => {
      const huge = await reserve(app, { filename: 'big.pdf', size_bytes: 64 * 1024 + 1 });
      assert.deepEqual([huge.status, huge.body.detail.code], [413, 'payload_too_large']);
      assert.match(huge.body.detail.message, /the limit is 64\.0 KiB per file/);
      const badHash = await reserve(app, { filename: 'a.txt', size_bytes: 3, sha256: 'abc' });
      assert.deepEqual([badHash.status, badHash.body.detail.code], [422, 'validation_error']);
      const reserved = await reserve(app, { filename: 'a.txt', size_bytes: 3, sha256: sha256(Buffer.from('abc')) });
      assert.equal((await put(app, reserved.body.upload_url, Buffer.from('abd'))).status, 200);
      const mismatch = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {});
      assert.deepEqual([mismatch.status, mismatch.body.detail.code], [422, 'upload_mismatch']);
      assert.match(mismatch.body.detail.message, /do not have the sha256/);
      const other = await reserve(app, { filename: 'b.txt', size_bytes: 3 });
      assert.equal((await put(app, other.body.upload_url, Buffer.from('xyz'))).status, 200);
      const atCompletion = await app.request('POST', `/v1/files/upload/${other.body.file_id}/complete`, { sha256: sha256(Buffer.from('xyw')) });
      assert.deepEqual([atCompletion.status, atCompletion.body.detail.code], [422, 'upload_mismatch']);
    });

    test('a file of a type Verdict cannot read is refused at completion with 415', async () => {
      const bytes = Buffer.from('II*\u0000 tiff bytes');
      const reserved = await reserve(app, { filename: 'scan.tiff', content_type: 'image/tiff', size_bytes: bytes.length });
      assert.equal((await put(app, reserved.body.upload_url, bytes)).status, 200);
      const refused = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {});
      assert.deepEqual([refused.status, refused.body.detail.code], [415, 'unsupported_media_type']);
    });

    test('an unknown upload is 404; an expired one is 410 at PUT and at completion', async () => {
      const unknown = await app.request('POST', '/v1/files/upload/file_nothing/complete', {});
      assert.deepEqual([unknown.status, unknown.body.detail.code], [404, 'upload_not_found']);
      const reserved = await reserve(app, { filename: 'late.txt', size_bytes: 4 });
      await app.runtime.services.store.db.updateTable('file_uploads').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', reserved.body.file_id).execute();
      const lateUpload = await put(app, reserved.body.upload_url, Buffer.from('late'));
      assert.deepEqual([lateUpload.status, lateUpload.body.detail.code], [410, 'upload_expired']);
      const lateCompletion = await app.request('POST', `/v1/files/upload/${reserved.body.file_id}/complete`, {});
      assert.deepEqual([lateCompletion.status, lateCompletion.body.detail.code], [410, 'upload_expired']);
      assert.match(lateCompletion.body.detail.message, /reserve a new one with POST \/v1\/files\/upload/);
    });

    test('a signed URL altered in any part is 403, and an upload URL does not download', async () => {
      const reserved = await reserve(app, { filename: 'x.txt', size_bytes: 1 });
      const url = new URL(reserved.body.upload_url);
      const altered = [
        url.pathname + url.search.replace(/signature=./, 'signature=A'),
        url.pathname + url.search.replace(/expires=(\d+)/, (_match, expires) => `expires=${Number(expires) + 3600}`),
        url.pathname,
      ];
      for (const path of altered) {
        const refused = await app.app.inject({ method: 'PUT', url: path, payload: Buffer.from('x'), headers: { 'content-type': 'text/plain' } });
        assert.equal(refused.statusCode, 403, path);
        assert.equal(refused.json().detail.code, 'signed_url_invalid');
      }
      const { fileId } = await uploadAll(app, 'y.txt', Buffer.from('y'));
      const link = await app.request('GET', `/v1/files/${fileId}/download-link`);
      const download = new URL(link.body.download_url);
      const uploadSignatureOnDownload = `/v1/files/${fileId}/download${new URL(reserved.body.upload_url).search}`;
      assert.equal((await app.app.inject({ method: 'GET', url: uploadSignatureOnDownload })).statusCode, 403);
      const otherFile = (await uploadAll(app, 'z.txt', Buffer.from('z'))).fileId;
      assert.equal((await app.app.inject({ method: 'GET', url: `/v1/files/${otherFile}/download${download.search}` })).statusCode, 403, "one file's signature opens no other file");
    });

    test(`an organization holds at most ${MAX_PENDING_UPLOADS} open reservations; another organization is not affected`, async () => {
      const busy = await otherOrganizationKey(app, 'uploads-busy');
      for (let index = 0; index < MAX_PENDING_UPLOADS; index++) assert.equal((await reserve(app, { filename: `${index}.txt`, size_bytes: 1 }, busy)).status, 201);
      const refused = await reserve(app, { filename: 'one-more.txt', size_bytes: 1 }, busy);
      assert.deepEqual([refused.status, refused.body.detail.code], [429, 'rate_limited']);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await reserve(app, { filename: 'fine.txt', size_bytes: 1 })).status, 201);
      await app.runtime.services.store.db.updateTable('file_uploads').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('filename', '=', '0.txt').execute();
      assert.equal((await reserve(app, { filename: 'after-expiry.txt', size_bytes: 1 }, busy)).status, 201, 'an expired reservation frees its place');
    });
  });

  describe(`a file uploaded through the flow is what the block reads when its test runs (${kind})`, () => {
    let model: FakeModelServer;
    let app: TestApp;
    before(async () => {
      // The model answers the total it finds in the document it was sent, so a pass proves the bytes reached it.
      model = await startFakeModelServer({
        chat: ({ body }) => ({ content: JSON.stringify({ total: Number(/total (\d+\.\d+)/.exec(JSON.stringify(body.messages))?.[1] ?? 0) }) }),
      });
      app = await startTestApp(kind, {}, { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'fake-model' });
    });
    after(async () => {
      await app.close();
      await model.close();
    });

    test('reserve, PUT, complete, then tests naming the file by FileRef and by the completion URL both pass', async () => {
      const { fileId, mimeData } = await uploadAll(app, 'invoice.txt', Buffer.from('Invoice INV-7, total 12.5 EUR\n'));
      const create = await textBlockTest(app);
      const byRef = await create({ type: 'file', document: { id: fileId, filename: 'invoice.txt', mime_type: 'text/plain' } });
      const byUrl = await create({ document: mimeData });
      assert.deepEqual([byRef.status, byUrl.status], [201, 201], JSON.stringify([byRef.body, byUrl.body]));
      const run = await waitForRun(app, (await startRun(app, create.workflowId)).id, 60_000);
      const rows = await allResults(app, run.id);
      assert.deepEqual(
        rows.map((row) => [row.verdict, row.error?.message ?? null]),
        [
          ['passed', null],
          ['passed', null],
        ],
      );
      assert.equal(rows[0].source.handle_inputs['input-file-document'].document.id, fileId, 'results show the file with both generations of keys');
      assert.equal(rows[0].source.handle_inputs['input-file-document'].document.original_id, fileId);
    });
  });
}
