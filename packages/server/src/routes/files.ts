import { FileRef, MIMEData } from '@verdict/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { essence, fileRefOf, FileInputError, storeFile, storeMimeData, SUPPORTED_TYPE_PATTERNS, type FileStoreDeps } from '../files/index.js';
import { convertError, createError } from '../errors/index.js';

/** An upload that cannot be stored, as the answer to the upload: the file's problem is its cause. */
function uploadRefusal(error: unknown, raw: boolean): unknown {
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

/**
 * POST /v1/files stores a file and answers its FileRef, to use in test inputs. JSON `{filename, url}`
 * with a data: URL, or the raw bytes with `Content-Type` of the file and `?filename=`.
 */
export const fileRoutes: FastifyPluginAsyncZod = async (app) => {
  const files = app.services.fileStorage;
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
    { bodyLimit, schema: { body: UploadBody, querystring: z.object({ filename: z.string().min(1).optional() }), response: { 201: FileRef } } },
    async (request, reply) => {
      const deps = depsFor(request.principal.organizationId);
      const body = request.body;
      const raw = Buffer.isBuffer(body);
      try {
        const stored = raw
          ? await storeFile({ filename: request.query.filename ?? 'upload', bytes: body, mimeType: essence(request.headers['content-type']) }, deps)
          : await storeMimeData(body, deps);
        reply.status(201);
        return fileRefOf(stored);
      } catch (error) {
        throw uploadRefusal(error, raw);
      }
    },
  );

  app.get('/files/:file_id', { schema: { params: z.object({ file_id: z.string() }), response: { 200: FileRef } } }, async (request) => {
    const file = await records.lookupFile(request.principal.organizationId, request.params.file_id);
    if (!file) throw createError('file_not_found', request.params.file_id);
    return fileRefOf(file);
  });
};
