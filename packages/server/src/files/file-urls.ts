import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verdict's own file URLs: the durable content URL a MIMEData carries, and the signed URLs that
 * stand in for a storage bucket's (the upload PUT and the download GET, which carry no API key).
 * docs/security.md ("Signed file URLs") says what a signature grants.
 */

/** What a signed URL lets its holder do; part of what is signed, so an upload URL cannot download. */
export type SignedAction = 'upload' | 'download';

export interface SignedUrlParams {
  expires: number;
  signature: string;
}

/** The durable URL of a stored file (GET with the API key answers its bytes). It is also how a later request can name the file. */
export function contentPath(fileId: string): string {
  return `/v1/files/${encodeURIComponent(fileId)}/content`;
}

export function signedPath(action: SignedAction, fileId: string, params: SignedUrlParams): string {
  const query = `expires=${params.expires}&signature=${params.signature}`;
  const id = encodeURIComponent(fileId);
  return action === 'upload' ? `/v1/files/upload/${id}?${query}` : `/v1/files/${id}/download?${query}`;
}

const VERDICT_FILE_PATH = /\/v1\/files\/(file_[0-9A-Za-z]{1,64})\/(?:content|download)$/;

/**
 * The file id a URL of Verdict's own file routes names (`…/v1/files/<id>/content` or
 * `…/download`, any host and prefix, query ignored), or null for any other URL. The id alone
 * decides: it is looked up among the caller's organization's files, like a FileRef's.
 */
export function fileIdOfVerdictUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  return VERDICT_FILE_PATH.exec(parsed.pathname)?.[1] ?? null;
}

/**
 * Signs and checks the URLs with one secret (HMAC-SHA-256 over the action, the file id and the
 * expiry, in seconds since the epoch). Every process of a deployment reads the same secret from
 * the store, so a URL signed by one is honoured by all.
 */
export class FileUrlSigner {
  constructor(private readonly secret: Buffer) {}

  sign(action: SignedAction, fileId: string, expiresAtMs: number): SignedUrlParams {
    const expires = Math.floor(expiresAtMs / 1000);
    return { expires, signature: this.mac(action, fileId, expires) };
  }

  /** `valid`, `expired` (a genuine signature past its time) or `forged`. */
  check(action: SignedAction, fileId: string, params: { expires?: string | number; signature?: string }, nowMs: number): 'valid' | 'expired' | 'forged' {
    const expires = Number(params.expires);
    if (!Number.isSafeInteger(expires) || typeof params.signature !== 'string') return 'forged';
    const expected = Buffer.from(this.mac(action, fileId, expires));
    const given = Buffer.from(params.signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'forged';
    return expires * 1000 <= nowMs ? 'expired' : 'valid';
  }

  private mac(action: SignedAction, fileId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${action}\n${fileId}\n${expires}`).digest('base64url');
  }
}
