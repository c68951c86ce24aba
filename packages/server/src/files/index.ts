export { BlobStore, BLOB_URI_SCHEME, blobUri, sha256OfBlobUri } from './blob-store.js';
export {
  checkContent,
  contentKind,
  essence,
  sniffMimeType,
  SUPPORTED_IMAGE_TYPES,
  SUPPORTED_TYPE_PATTERNS,
  type CheckedContent,
  type ContentKind,
} from './content.js';
export { decodeDataUrl, type DecodedDataUrl } from './data-url.js';
export { FileInputError, type FileInputErrorCode } from './errors.js';
export { DEFAULT_MAX_FILE_BYTES } from './limits.js';
export {
  documentSha256,
  fileRefOf,
  materializedDocumentOf,
  normalizeFileInput,
  resolvedFileInput,
  withPages,
  storeFile,
  storeMimeData,
  type FileInputDeps,
  type FileStoreDeps,
  type NewFile,
  type ResolvedFileInput,
  type StoredFile,
  type UploadedFile,
} from './normalize.js';
export { documentToPages, type DocumentPage, type DocumentPages } from './pages.js';
export { createBlobFileService, type BlobFileServiceOptions, type FileDocument, type FileRecords, type FileService, type InputIssue } from './file-service.js';
export { contentPath, fileIdOfVerdictUrl, FileUrlSigner, signedPath, type SignedAction, type SignedUrlParams } from './file-urls.js';
export { DOWNLOAD_LINK_TTL_MS, MAX_PENDING_UPLOADS, UPLOAD_TTL_MS, UploadService, type Reserved, type UploadRecords, type UploadReservation, type UploadServiceOptions } from './uploads.js';
