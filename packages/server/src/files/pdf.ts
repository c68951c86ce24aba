import { extractText, getDocumentProxy } from 'unpdf';
import { FileInputError } from './errors.js';

export interface OpenedPdf {
  pageCount: number;
  /** The text layer of each page, in page order (empty for a page that is only an image). */
  pageTexts(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a PDF with pdf.js (through unpdf); a file pdf.js cannot open is `corrupt_file`, an encrypted one `unsupported_file_type`. */
export async function openPdf(bytes: Buffer, filename: string): Promise<OpenedPdf> {
  let document: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of (detaches) the array it is given: hand it a copy. verbosity 0 keeps its warnings off stdout.
    document = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0, isEvalSupported: false });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'PasswordException') {
      throw new FileInputError(`${filename} is a password-protected PDF; upload it without a password.`, 'unsupported_file_type', { filename }, { cause: error });
    }
    throw new FileInputError(`${filename} is not a readable PDF (${(error as Error).message}).`, 'corrupt_file', { filename }, { cause: error });
  }
  return {
    pageCount: document.numPages,
    pageTexts: async () => (await extractText(document, { mergePages: false })).text,
    close: () => document.destroy(),
  };
}

/** The text layer of every page of a PDF. */
export async function pdfPageTexts(bytes: Buffer, filename: string): Promise<string[]> {
  const pdf = await openPdf(bytes, filename);
  try {
    return await pdf.pageTexts();
  } finally {
    await pdf.close();
  }
}
