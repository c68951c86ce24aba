import { createHash } from 'node:crypto';
import { newId, type CreateUploadRequest } from '@verdict/core';
import { createError } from '../errors/index.js';
import type { BlobStore } from './blob-store.js';
import { checkContent } from './content.js';
import { tooLarge } from './data-url.js';
import type { FileRecords } from './file-service.js';
import { FileUrlSigner, type SignedUrlParams } from './file-urls.js';
import type { NewFile, StoredFile } from './normalize.js';

/** How long an upload_url (and its reservation) stays valid. */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;
/** How long a download_url stays valid. */
export const DOWNLOAD_LINK_TTL_MS = 60 * 60 * 1000;
/** Reservations one organization may hold open at once; each holds up to VERDICT_MAX_FILE_BYTES of blob store until it expires. */
export const MAX_PENDING_UPLOADS = 100;
/** Expired reservations are kept this long so that completing one answers 410 rather than 404. */
const EXPIRED_RESERVATION_KEPT_MS = 24 * 60 * 60 * 1000;

/** A row of `file_uploads`: what was reserved, and the hash of the bytes once they arrived. */
export interface UploadReservation {
  id: string;
  organization_id: string;
  filename: string;
  content_type: string | null;
  size_bytes: number;
  sha256: string | null;
  received_sha256: string | null;
  created_at: string;
  expires_at: string;
}

/** The `file_uploads` table as the upload service needs it (store/file-uploads.ts). */
export interface UploadRecords {
  insert(reservation: UploadReservation): Promise<void>;
  /** Any organization's reservation: the signed PUT carries no API key, its signature names the id. */
  find(id: string): Promise<UploadReservation | undefined>;
  /** Unexpired reservations of the organization, and when the first of them expires. */
  pending(organizationId: string, nowIso: string): Promise<{ count: number; earliestExpiry: string | null }>;
  deleteExpiredBefore(organizationId: string, beforeIso: string): Promise<void>;
  /** Records the received bytes' hash unless the reservation expired or received bytes meanwhile; false then. */
  markReceived(id: string, sha256: string, nowIso: string): Promise<boolean>;
  /** Ends the reservation and records the file under its id, in one transaction; null when another call completed it first. */
  complete(reservation: UploadReservation, file: NewFile): Promise<StoredFile | null>;
  /** Any organization's file by id: for a download URL whose signature names the id. */
  findFileBySignedId(id: string): Promise<StoredFile | undefined>;
}

export interface UploadServiceOptions {
  uploads: UploadRecords;
  files: FileRecords;
  blobs: BlobStore;
  maxFileBytes: number;
  signer: FileUrlSigner;
  /** The address clients reach the server at (VERDICT_PUBLIC_URL); null: each request's own. */
  publicUrl: string | null;
  now?: () => number;
}

export interface Reserved {
  fileId: string;
  filename: string;
  expiresAt: string;
  upload: SignedUrlParams;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Retab's upload flow over Verdict's blob store: reserve (a file id and a signed upload URL),
 * receive the bytes at that URL, complete (check size, hash and type, then record the file under
 * the reserved id). Also the signed download link of a stored file.
 */
export class UploadService {
  readonly publicUrl: string | null;
  private readonly now: () => number;

  constructor(private readonly options: UploadServiceOptions) {
    this.publicUrl = options.publicUrl;
    this.now = options.now ?? Date.now;
  }

  get maxFileBytes(): number {
    return this.options.maxFileBytes;
  }

  async reserve(organizationId: string, request: CreateUploadRequest): Promise<Reserved> {
    const filename = request.filename.trim();
    if (request.size_bytes > this.options.maxFileBytes) throw tooLarge(filename, request.size_bytes, this.options.maxFileBytes);
    const now = this.now();
    await this.options.uploads.deleteExpiredBefore(organizationId, iso(now - EXPIRED_RESERVATION_KEPT_MS));
    const pending = await this.options.uploads.pending(organizationId, iso(now));
    if (pending.count >= MAX_PENDING_UPLOADS) {
      const wait = Math.max(1, Math.ceil((Date.parse(pending.earliestExpiry!) - now) / 1000));
      throw createError(
        'rate_limited',
        `This organization has ${pending.count} uploads reserved and not completed (the limit is ${MAX_PENDING_UPLOADS}); complete them, or retry in ${wait} s when the oldest expires.`,
        wait,
      );
    }
    const expiresAtMs = now + UPLOAD_TTL_MS;
    const reservation: UploadReservation = {
      id: newId('file'),
      organization_id: organizationId,
      filename,
      content_type: request.content_type ?? null,
      size_bytes: request.size_bytes,
      sha256: request.sha256?.toLowerCase() ?? null,
      received_sha256: null,
      created_at: iso(now),
      expires_at: iso(expiresAtMs),
    };
    await this.options.uploads.insert(reservation);
    return { fileId: reservation.id, filename, expiresAt: reservation.expires_at, upload: this.options.signer.sign('upload', reservation.id, expiresAtMs) };
  }

  /** The reservation a signed upload URL may write to, before any of its bytes are read. */
  async authorizeUpload(fileId: string, params: { expires?: string; signature?: string }): Promise<UploadReservation> {
    const check = this.options.signer.check('upload', fileId, params, this.now());
    if (check === 'forged') throw notSigned();
    const reservation = await this.options.uploads.find(fileId);
    if (reservation === undefined) throw createError('upload_not_found', fileId);
    if (check === 'expired' || this.expired(reservation)) throw createError('upload_expired', fileId, reservation.expires_at);
    return reservation;
  }

  /** Stores the bytes of an authorised upload: exactly the reserved size (a larger body was cut off while it arrived). */
  async receive(reservation: UploadReservation, bytes: Buffer): Promise<void> {
    if (bytes.length !== reservation.size_bytes) {
      throw createError(
        'upload_mismatch',
        `The upload \`${reservation.id}\` reserved ${reservation.size_bytes} bytes and received ${bytes.length}; PUT exactly the reserved bytes to its upload_url.`,
        { file_id: reservation.id, expected_size_bytes: reservation.size_bytes, received_size_bytes: bytes.length },
      );
    }
    // One reservation stores one body: a retried PUT of the same bytes succeeds without writing
    // them again, other bytes are refused, so a leaked URL cannot fill the blob store for an hour.
    if (reservation.received_sha256 !== null) {
      if (createHash('sha256').update(bytes).digest('hex') === reservation.received_sha256) return;
      throw alreadyReceived(reservation);
    }
    const { sha256 } = await this.options.blobs.putBlob(bytes);
    if (!(await this.options.uploads.markReceived(reservation.id, sha256, iso(this.now())))) {
      throw this.expired(reservation) ? createError('upload_expired', reservation.id, reservation.expires_at) : alreadyReceived(reservation);
    }
  }

  /**
   * Completes the organization's upload: the bytes must have arrived, be the reserved size and
   * match the sha256 given here or at the reservation, and be of a type Verdict reads (a
   * FileInputError otherwise). Completing a completed upload answers its file again.
   */
  async complete(organizationId: string, fileId: string, sha256: string | null | undefined): Promise<StoredFile> {
    const found = await this.options.uploads.find(fileId);
    const reservation = found?.organization_id === organizationId ? found : undefined;
    if (reservation === undefined) return this.completedFile(organizationId, fileId);
    if (this.expired(reservation)) throw createError('upload_expired', fileId, reservation.expires_at);
    if (reservation.received_sha256 === null) {
      throw createError('upload_mismatch', `No bytes have been uploaded for \`${fileId}\`; PUT them to its upload_url first.`, {
        file_id: fileId,
        expected_size_bytes: reservation.size_bytes,
        received_size_bytes: 0,
      });
    }
    const expected = sha256?.toLowerCase() ?? reservation.sha256;
    if (expected !== null && expected !== reservation.received_sha256) {
      throw createError('upload_mismatch', `The bytes uploaded for \`${fileId}\` do not have the sha256 ${expected}; upload the file again.`, {
        file_id: fileId,
        expected_sha256: expected,
        received_sha256: reservation.received_sha256,
      });
    }
    const bytes = await this.options.blobs.readBlob(reservation.received_sha256);
    const { mimeType } = await checkContent(bytes, reservation.filename, reservation.content_type);
    const file = { filename: reservation.filename, mime_type: mimeType, size_bytes: bytes.length, sha256: reservation.received_sha256 };
    return (await this.options.uploads.complete(reservation, file)) ?? this.completedFile(organizationId, fileId);
  }

  /** A signed download link of the organization's file. */
  async downloadLink(organizationId: string, fileId: string): Promise<{ file: StoredFile; download: SignedUrlParams; expiresInSeconds: number }> {
    const file = await this.options.files.lookupFile(organizationId, fileId);
    if (file === null) throw createError('file_not_found', fileId);
    const download = this.options.signer.sign('download', fileId, this.now() + DOWNLOAD_LINK_TTL_MS);
    return { file, download, expiresInSeconds: Math.round(DOWNLOAD_LINK_TTL_MS / 1000) };
  }

  /** The file and bytes a signed download URL names. */
  async readSigned(fileId: string, params: { expires?: string; signature?: string }): Promise<{ file: StoredFile; bytes: Buffer }> {
    const check = this.options.signer.check('download', fileId, params, this.now());
    if (check === 'forged') throw notSigned();
    if (check === 'expired') throw createError('signed_url_invalid', `This download link expired; get a new one from GET /v1/files/${fileId}/download-link.`);
    const file = await this.options.uploads.findFileBySignedId(fileId);
    if (file === undefined) throw createError('file_not_found', fileId);
    return { file, bytes: await this.options.blobs.readBlob(file.sha256) };
  }

  private expired(reservation: UploadReservation): boolean {
    return Date.parse(reservation.expires_at) <= this.now();
  }

  private async completedFile(organizationId: string, fileId: string): Promise<StoredFile> {
    const file = await this.options.files.lookupFile(organizationId, fileId);
    if (file === null) throw createError('upload_not_found', fileId);
    return file;
  }
}

function alreadyReceived(reservation: UploadReservation) {
  return createError('conflict', `The upload \`${reservation.id}\` already received other bytes; complete it, or reserve a new upload for these.`);
}

function notSigned() {
  return createError('signed_url_invalid', 'This URL is not signed by this server; use the upload_url or download_url exactly as the API returned it.');
}
