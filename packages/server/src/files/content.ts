import { mimeTypeFromFilename } from '@verdict/core';
import { FileInputError } from './errors.js';
import { openPdf } from './pdf.js';

/** How a supported file reaches a model: as text, as PDF pages of text, or as an image part. */
export type ContentKind = 'text' | 'pdf' | 'image';

export interface CheckedContent {
  mimeType: string;
  kind: ContentKind;
}

export const SUPPORTED_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const TEXT_APPLICATION_TYPES = new Set(['application/json', 'application/xml', 'application/csv', 'application/x-ndjson', 'application/yaml']);
const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);


/** Every type a file may be declared with, as patterns a client can read (error details list them). */
export const SUPPORTED_TYPE_PATTERNS: readonly string[] = [
  'text/*',
  ...TEXT_APPLICATION_TYPES,
  'application/*+json',
  'application/*+xml',
  'application/pdf',
  ...SUPPORTED_IMAGE_TYPES,
];

const SUPPORTED_LIST = 'text (plain, Markdown, CSV, JSON, XML, HTML, YAML), PDF with a text layer, and PNG, JPEG, GIF or WebP images';

/** `Image/PNG; charset=x` → `image/png`. */
export function essence(mimeType: string | null | undefined): string {
  return (mimeType ?? '').split(';')[0].trim().toLowerCase();
}

function startsWith(bytes: Buffer, signature: number[], offset = 0): boolean {
  return bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** The binary type the bytes announce by their magic number, if any. */
export function sniffMimeType(bytes: Buffer): string | null {
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

export function contentKind(mimeType: string): ContentKind | null {
  const type = essence(mimeType);
  if (type === 'application/pdf') return 'pdf';
  if (SUPPORTED_IMAGE_TYPES.includes(type)) return 'image';
  if (type.startsWith('text/') || TEXT_APPLICATION_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml')) return 'text';
  return null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a text file; throws `corrupt_file` for bytes that are not UTF-8 text. */
export function decodeText(bytes: Buffer, filename: string): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new FileInputError(`${filename} is declared as text but is not valid UTF-8.`, 'corrupt_file', { filename });
  }
  if (text.includes('\u0000')) throw new FileInputError(`${filename} is declared as text but holds binary data.`, 'corrupt_file', { filename });
  return text;
}

/** The declared type, else the filename's, else what the bytes announce. */
function effectiveMimeType(declared: string | null | undefined, filename: string, bytes: Buffer): string {
  const type = essence(declared);
  if (!GENERIC_TYPES.has(type)) return type;
  return mimeTypeFromFilename(filename) ?? sniffMimeType(bytes) ?? type;
}

/**
 * Decides how a file will be read and proves it can be: supported type, bytes that match it, a
 * PDF that opens. Throws FileInputError (`unsupported_file_type` or `corrupt_file`) otherwise.
 */
export async function checkContent(bytes: Buffer, filename: string, declaredMimeType?: string | null): Promise<CheckedContent> {
  const mimeType = effectiveMimeType(declaredMimeType, filename, bytes);
  const kind = contentKind(mimeType);
  if (kind === null) {
    const named = mimeType === '' ? 'an unknown type' : `type ${mimeType}`;
    throw new FileInputError(`${filename} has ${named}; Verdict reads ${SUPPORTED_LIST}.`, 'unsupported_file_type', { filename, mime_type: mimeType });
  }
  const sniffed = sniffMimeType(bytes);
  if (kind === 'text') decodeText(bytes, filename);
  else if (sniffed !== mimeType) {
    const found = sniffed === null ? 'its bytes are not' : `its bytes are ${sniffed}, not`;
    throw new FileInputError(`${filename} is declared as ${mimeType} but ${found} ${mimeType}.`, 'corrupt_file', { filename, mime_type: mimeType });
  }
  if (kind === 'pdf') await (await openPdf(bytes, filename)).close();
  return { mimeType, kind };
}
