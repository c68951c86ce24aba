import type { FastifyRequest } from 'fastify';
import type { MIMEData } from '@verdict/core';
import { contentPath } from './file-urls.js';

/**
 * An absolute URL of this server: under VERDICT_PUBLIC_URL when set, else under the scheme and
 * host the request came to (X-Forwarded-Proto / -Host only when VERDICT_TRUST_PROXY trusts the
 * proxy). The answer goes back to whoever sent that Host, so a forged one misleads only its sender.
 */
export function absoluteUrl(request: FastifyRequest, publicUrl: string | null, path: string): string {
  const base = publicUrl ?? `${request.protocol}://${request.host}`;
  return base.replace(/\/+$/, '') + path;
}

/** The durable MIMEData of a stored file: Verdict's content URL, which a later request may send back to name the file. */
export function mimeDataOf(request: FastifyRequest, publicUrl: string | null, file: { id: string; filename: string }): MIMEData {
  return { filename: file.filename, url: absoluteUrl(request, publicUrl, contentPath(file.id)) };
}
