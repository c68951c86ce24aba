import type { MaterializedDocument } from '@verdict/core';
import { contentKind, decodeText, essence } from './content.js';
import { FileInputError } from './errors.js';
import { pdfPageTexts } from './pdf.js';

export interface DocumentPage {
  /** 1-based page number, as split blocks report pages. */
  index: number;
  text?: string;
  /** `data:image/…;base64,…`, sent to the model as an image part. */
  imageDataUrl?: string;
}

export interface DocumentPages {
  pages: DocumentPage[];
}

const numbered = (parts: Array<Omit<DocumentPage, 'index'>>): DocumentPage[] => parts.map((part, i) => ({ index: i + 1, ...part }));

/**
 * A document as pages a model can read: a PDF page by page (its text layer: a scanned page
 * without one comes out empty), a text file as one page (or one per form feed), an image as one
 * image page.
 */
export async function documentToPages(document: MaterializedDocument, bytes: Buffer): Promise<DocumentPages> {
  const mimeType = essence(document.mime_type);
  switch (contentKind(mimeType)) {
    case 'pdf':
      return { pages: numbered((await pdfPageTexts(bytes, document.filename)).map((text) => ({ text }))) };
    case 'text':
      return { pages: numbered(decodeText(bytes, document.filename).split('\f').map((text) => ({ text }))) };
    case 'image':
      return { pages: [{ index: 1, imageDataUrl: `data:${mimeType};base64,${bytes.toString('base64')}` }] };
    default:
      throw new FileInputError(`${document.filename} has type ${document.mime_type}, which Verdict cannot read.`, 'unsupported_file_type', {
        mime_type: document.mime_type,
      });
  }
}
