import { describeBytes, HOW_TO_UPLOAD } from './limits.js';
import { FileInputError } from './errors.js';

export interface DecodedDataUrl {
  /** The media type as written (may be empty: RFC 2397 then means text/plain). */
  mimeType: string;
  bytes: Buffer;
}

const DATA_URL = /^data:([^,]*?),(.*)$/s;

/**
 * Decodes an RFC 2397 `data:` URL (base64 or percent-encoded). Other URLs are refused: this
 * server fetches nothing from the network. The size is checked before decoding.
 */
export function decodeDataUrl(url: string, filename: string, maxBytes: number): DecodedDataUrl {
  const match = DATA_URL.exec(url.trim());
  if (match === null) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    if (scheme !== undefined && scheme.toLowerCase() !== 'data:') {
      throw new FileInputError(
        `${filename} is given as a ${scheme} URL, and Verdict fetches nothing from the network: ${HOW_TO_UPLOAD}.`,
        'unsupported_file_location',
        { filename },
      );
    }
    throw new FileInputError(`${filename}: url must be a data: URL like data:application/pdf;base64,JVBERi0...`, 'invalid_data_url', { filename });
  }
  const [, header, payload] = match;
  const parameters = header.split(';');
  const isBase64 = parameters.at(-1)?.toLowerCase() === 'base64';
  const mimeType = parameters[0].trim();
  const estimated = isBase64 ? Math.floor((payload.length * 3) / 4) : payload.length;
  if (estimated > maxBytes) throw tooLarge(filename, estimated, maxBytes);
  const bytes = isBase64 ? decodeBase64(payload, filename) : decodePercent(payload, filename);
  if (bytes.length > maxBytes) throw tooLarge(filename, bytes.length, maxBytes);
  return { mimeType, bytes };
}

export function tooLarge(filename: string, size: number, maxBytes: number): FileInputError {
  return new FileInputError(
    `${filename} is ${describeBytes(size)}; the limit is ${describeBytes(maxBytes)} per file (VERDICT_MAX_FILE_BYTES).`,
    'file_too_large',
    { filename, size_bytes: size, max_bytes: maxBytes },
  );
}

function decodeBase64(payload: string, filename: string): Buffer {
  const compact = payload.replace(/\s+/g, '');
  // Buffer.from silently skips invalid characters: check the alphabet so a corrupt upload is not half-read.
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) {
    throw new FileInputError(`${filename}: the data: URL's base64 payload holds characters outside the base64 alphabet.`, 'invalid_data_url', { filename });
  }
  return Buffer.from(compact, 'base64');
}

function decodePercent(payload: string, filename: string): Buffer {
  const parts = payload.split(/(%[0-9A-Fa-f]{2})/);
  if (parts.some((part, i) => i % 2 === 0 && part.includes('%'))) {
    throw new FileInputError(`${filename}: the data: URL's payload has a malformed %-escape.`, 'invalid_data_url', { filename });
  }
  return Buffer.concat(parts.map((part, i) => (i % 2 === 1 ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, 'utf8'))));
}
