import { createHash } from 'node:crypto';
import { access, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileInputError } from './errors.js';

/** How a MaterializedDocument's `gcs_uri` points into Verdict's blob store. */
export const BLOB_URI_SCHEME = 'verdict-blob://';
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function blobUri(sha256: string): string {
  return BLOB_URI_SCHEME + sha256;
}

/** The sha256 a `verdict-blob://` URI names, or null for any other URI. */
export function sha256OfBlobUri(uri: string): string | null {
  if (!uri.startsWith(BLOB_URI_SCHEME)) return null;
  const sha256 = uri.slice(BLOB_URI_SCHEME.length).toLowerCase();
  return SHA256_HEX.test(sha256) ? sha256 : null;
}

async function linkUnlessExists(existingPath: string, newPath: string): Promise<void> {
  try {
    await link(existingPath, newPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function blobMissing(sha256: string, cause?: unknown): FileInputError {
  return new FileInputError(`The stored bytes of this file (sha256 ${sha256}) are missing from the blob store.`, 'blob_missing', { sha256 }, { cause });
}

/**
 * Content-addressed file bytes under `<dataDir>/blobs/<sha256[0:2]>/<sha256>`. Writing the same
 * bytes twice stores them once; the database keeps only metadata.
 */
export class BlobStore {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
  }

  /**
   * Stores the bytes under their hash. The store is shared by every organization, so an upload
   * costs the same whether or not someone already stored these bytes: skipping the write for a
   * known blob (or replacing it, which frees the old copy) would let an uploader time whether
   * another organization holds a document. Every upload writes a new copy and links it to the
   * final name unless that name exists; the copy's temporary name is removed off the request's path.
   */
  async putBlob(bytes: Buffer): Promise<{ sha256: string; size: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const path = this.path(sha256);
    await mkdir(join(this.root, sha256.slice(0, 2)), { recursive: true });
    // A reader never sees a partial blob: the final name only ever points at a finished copy.
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, bytes);
    await linkUnlessExists(temporary, path);
    void unlink(temporary).catch(() => undefined);
    return { sha256, size: bytes.length };
  }

  async readBlob(sha256: string): Promise<Buffer> {
    try {
      return await readFile(this.path(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw blobMissing(sha256, error);
    }
  }

  /** Throws `blob_missing` unless the blob exists. */
  async requireBlob(sha256: string): Promise<void> {
    if (!(await this.hasBlob(sha256))) throw blobMissing(sha256);
  }

  async hasBlob(sha256: string): Promise<boolean> {
    try {
      await access(this.path(sha256));
      return true;
    } catch {
      return false;
    }
  }

  private path(sha256: string): string {
    // Checked here so that no caller can turn a hash into a path outside the store.
    if (!SHA256_HEX.test(sha256)) throw new FileInputError(`"${sha256}" is not a sha256 hex digest.`, 'blob_missing', { sha256 });
    return join(this.root, sha256.slice(0, 2), sha256);
  }
}
