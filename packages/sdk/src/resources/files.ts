import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { FileLink, FileObject, ListFilesParams, MIMEData } from '../types.js';
import { listPages, segment } from './list.js';

/**
 * The organization's files (`/v1/files…`). A stored file is given to a test or a run as
 * `{ type: "file", file_id }` (or Retab's older `MIMEData`).
 */
export class Files {
  constructor(private readonly transport: Transport) {}

  /** Stores a file given as `{ filename, url }` with a `data:` URL. */
  create(body: MIMEData, options?: RequestOptions): Promise<FileObject> {
    return this.transport.request({ method: 'POST', path: '/v1/files', body }, options);
  }

  /** Stores bytes under `filename`; the server recognises the type from the bytes and the extension. */
  upload(filename: string, bytes: Uint8Array, mimeType = 'application/octet-stream', options?: RequestOptions): Promise<FileObject> {
    return this.create({ filename, url: `data:${mimeType};base64,${toBase64(bytes)}` }, options);
  }

  list(params: ListFilesParams = {}, options?: RequestOptions): PagePromise<FileObject> {
    return listPages(this.transport, '/v1/files', { ...params }, options);
  }

  get(fileId: string, options?: RequestOptions): Promise<FileObject> {
    return this.transport.request({ method: 'GET', path: filePath(fileId) }, options);
  }

  /** The stored bytes. */
  content(fileId: string, options?: RequestOptions): Promise<Uint8Array> {
    return this.transport.requestBytes({ method: 'GET', path: `${filePath(fileId)}/content` }, options);
  }

  /** A signed URL that downloads the file without an API key, for a limited time. */
  downloadLink(fileId: string, options?: RequestOptions): Promise<FileLink> {
    return this.transport.request({ method: 'GET', path: `${filePath(fileId)}/download-link` }, options);
  }
}

const filePath = (fileId: string) => `/v1/files/${segment(fileId)}`;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let start = 0; start < bytes.length; start += chunk) binary += String.fromCharCode(...bytes.subarray(start, start + chunk));
  return btoa(binary);
}
