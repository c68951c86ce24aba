import { Transform } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { createError } from '../errors/index.js';
import type { UploadReservation } from '../files/index.js';
import { sendFileBytes } from './files.js';

interface SignedRequest {
  Params: { file_id: string };
  Querystring: { expires?: string; signature?: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The reservation a signed upload URL writes to, found before its body is read. */
    uploadReservation?: UploadReservation;
  }
}

function tooLargeForReservation(reservation: UploadReservation) {
  return createError('payload_too_large', `The upload \`${reservation.id}\` reserved ${reservation.size_bytes} bytes; the body is larger. Reserve the file's real size.`, {
    file_id: reservation.id,
    max_bytes: reservation.size_bytes,
  });
}

/** The body, cut off with 413 as soon as it passes the reserved size (whatever Content-Length said). */
function limitedTo(payload: NodeJS.ReadableStream, reservation: UploadReservation): Transform {
  let received = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > reservation.size_bytes ? tooLargeForReservation(reservation) : null, chunk);
    },
  });
  payload.on('error', (error) => limited.destroy(error));
  return payload.pipe(limited);
}

/**
 * The URLs Verdict hands out in place of a storage bucket's signed URLs: the PUT of an upload's
 * bytes and the GET of a download link. They carry no API key; the signature in the URL
 * (files/file-urls.ts) is the authorisation, and it names one file id, one action and an expiry.
 * docs/security.md, "Signed file URLs".
 */
export const signedFileRoutes: FastifyPluginAsync = async (app) => {
  const { uploads } = app.services;
  // Whatever the client declares, the body is the file's bytes (a JSON file stays bytes).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.put<SignedRequest>(
    '/files/upload/:file_id',
    {
      bodyLimit: uploads.maxFileBytes,
      schema: { hide: true },
      preParsing: async (request, _reply, payload) => {
        const reservation = await uploads.authorizeUpload(request.params.file_id, request.query);
        const declared = Number(request.headers['content-length']);
        if (Number.isFinite(declared) && declared > reservation.size_bytes) throw tooLargeForReservation(reservation);
        request.uploadReservation = reservation;
        return limitedTo(payload, reservation);
      },
    },
    async (request, reply) => {
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      await uploads.receive(request.uploadReservation!, bytes);
      return reply.status(200).send();
    },
  );

  app.get<SignedRequest>('/files/:file_id/download', { schema: { hide: true } }, async (request, reply) => {
    const { file, bytes } = await uploads.readSigned(request.params.file_id, request.query);
    return sendFileBytes(reply, file, bytes);
  });
};
