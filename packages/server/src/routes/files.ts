import { CompleteUploadRequest, CreateUploadRequest, CreateUploadResponse, FileLink, FileObject, MIMEData, paginated, paginationQuery, refineCursors } from '@verdict/core';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { essence, FileInputError, signedPath, storeFile, storeMimeData, SUPPORTED_TYPE_PATTERNS, type FileStoreDeps } from '../files/index.js';
import { absoluteUrl, mimeDataOf } from '../files/public-urls.js';
import { convertError } from '../errors/index.js';
import { getFile, listFiles, readFile } from '../services/files.js';

/** A file that cannot be stored, as the answer to the request that brought it: the file's problem is its cause. */
export function fileRefusal(error: unknown, raw: boolean): unknown {
  if (!(error instanceof FileInputError)) return error;
  if (error.code === 'file_too_large') return convertError(error, 'payload_too_large', error.message, error.details);
  if (raw && error.code === 'unsupported_file_type') {
    return convertError(error, 'unsupported_media_type', error.message, { ...error.details, accepted: SUPPORTED_TYPE_PATTERNS });
  }
  return convertError(error, 'validation_error', error.message, { issues: [{ path: 'body', message: error.message, code: error.code }], ...error.details });
}

const UploadBody = z.union([MIMEData, z.instanceof(Buffer)], {
  error:
    "Send JSON {filename, url} with a data: URL, or send the bytes with the file's own Content-Type (or application/octet-stream and ?filename= with its extension); " +
    'a JSON file itself goes as application/octet-stream with ?filename=<name>.json',
});
const FileParams = z.object({ file_id: z.string() });
const ListFilesQuery = paginationQuery(10)
  .extend({ filename: z.string().min(1).optional(), mime_type: z.string().min(1).optional() })
  .superRefine(refineCursors);

/** The bytes of a stored file, as a download: never rendered by a browser that opens the URL. */
export function sendFileBytes(reply: FastifyReply, file: { filename: string; mime_type: string }, bytes: Buffer): FastifyReply {
  return reply
    .header('content-type', file.mime_type)
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
    .header('content-security-policy', 'sandbox')
    .header('cache-control', 'private, no-store')
    .send(bytes);
}

/**
 * Files of the caller's organization: POST /v1/files stores one in one request (JSON `{filename,
 * url}` with a data: URL, or the raw bytes); Retab's upload flow reserves (POST /v1/files/upload),
 * takes the bytes at a signed URL (routes/signed-files.ts) and completes; files are listed, read
 * and linked for download. Another organization's file is answered as if it did not exist.
 */
export const fileRoutes: FastifyPluginAsyncZod = async (app) => {
  const services = app.services;
  const { fileStorage: files, uploads } = services;
  const records = files.records;
  const bodyLimit = Math.ceil(files.maxFileBytes * 1.4) + 64 * 1024;
  const depsFor = (organizationId: string): FileStoreDeps => ({
    blobs: files.blobs,
    maxFileBytes: files.maxFileBytes,
    registerFile: (file) => records.registerFile(organizationId, file),
  });

  // Inside this plugin only: any body that is not the JSON form is a file's raw bytes (the
  // built-in text/plain parser would hand over a string); its type is checked when it is stored.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  app.post(
    '/files',
    { bodyLimit, schema: { body: UploadBody, querystring: z.object({ filename: z.string().min(1).optional() }), response: { 201: FileObject } } },
    async (request, reply) => {
      const organizationId = request.principal.organizationId;
      const deps = depsFor(organizationId);
      const body = request.body;
      const raw = Buffer.isBuffer(body);
      try {
        const stored = raw
          ? await storeFile({ filename: request.query.filename ?? 'upload', bytes: body, mimeType: essence(request.headers['content-type']) }, deps)
          : await storeMimeData(body, deps);
        reply.status(201);
        return await getFile(services, organizationId, stored.id);
      } catch (error) {
        throw fileRefusal(error, raw);
      }
    },
  );

  app.get('/files', { schema: { querystring: ListFilesQuery, response: { 200: paginated(FileObject, 'FileList') } } }, async (request) => {
    const { filename, mime_type, ...page } = request.query;
    return listFiles(services, request.principal.organizationId, { filename, mimeType: mime_type }, page);
  });

  app.get('/files/:file_id', { schema: { params: FileParams, response: { 200: FileObject } } }, async (request) =>
    getFile(services, request.principal.organizationId, request.params.file_id),
  );

  app.get('/files/:file_id/content', { schema: { params: FileParams } }, async (request, reply) => {
    const { file, bytes } = await readFile(services, request.principal.organizationId, request.params.file_id);
    return sendFileBytes(reply, file, bytes);
  });

  app.get('/files/:file_id/download-link', { schema: { params: FileParams, response: { 200: FileLink } } }, async (request) => {
    const { file, download, expiresInSeconds } = await uploads.downloadLink(request.principal.organizationId, request.params.file_id);
    return {
      download_url: absoluteUrl(request, uploads.publicUrl, signedPath('download', file.id, download)),
      expires_in: `${expiresInSeconds}s`,
      filename: file.filename,
      mime_data: mimeDataOf(request, uploads.publicUrl, file),
    };
  });

  app.post('/files/upload', { schema: { body: CreateUploadRequest, response: { 201: CreateUploadResponse } } }, async (request, reply) => {
    let reserved;
    try {
      reserved = await uploads.reserve(request.principal.organizationId, request.body);
    } catch (error) {
      throw fileRefusal(error, false);
    }
    const uploadUrl = absoluteUrl(request, uploads.publicUrl, signedPath('upload', reserved.fileId, reserved.upload));
    const headers: Record<string, string> = request.body.content_type ? { 'Content-Type': request.body.content_type } : {};
    const mimeData = mimeDataOf(request, uploads.publicUrl, { id: reserved.fileId, filename: reserved.filename });
    reply.status(201);
    return {
      file_id: reserved.fileId,
      fileId: reserved.fileId,
      upload_url: uploadUrl,
      uploadUrl,
      upload_method: 'PUT' as const,
      uploadMethod: 'PUT' as const,
      upload_headers: headers,
      uploadHeaders: headers,
      mime_data: mimeData,
      mimeData,
      expires_at: reserved.expiresAt,
      expiresAt: reserved.expiresAt,
    };
  });

  app.post(
    '/files/upload/:file_id/complete',
    { schema: { params: FileParams, body: CompleteUploadRequest.nullish(), response: { 200: MIMEData } } },
    async (request) => {
      try {
        const file = await uploads.complete(request.principal.organizationId, request.params.file_id, request.body?.sha256);
        return mimeDataOf(request, uploads.publicUrl, file);
      } catch (error) {
        throw fileRefusal(error, true);
      }
    },
  );
};
