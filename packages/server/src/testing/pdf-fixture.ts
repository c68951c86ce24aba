import { deflateSync } from 'node:zlib';

/**
 * A small valid PDF with one line of Helvetica text per page, for tests that need real PDF
 * bytes. `compress` stores the page content streams Flate-encoded, as most producers do.
 */
export function makeTextPdf(pageTexts: string[], options: { compress?: boolean } = {}): Buffer {
  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(`<< /Type /Pages /Kids [${pageTexts.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${pageTexts.length} >>`);
  add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (const [i, text] of pageTexts.entries()) {
    const escaped = text.replace(/[\\()]/g, (c) => `\\${c}`);
    const content = `BT /F1 12 Tf 72 720 Td (${escaped}) Tj ET`;
    const stream = options.compress ? deflateSync(content).toString('latin1') : content;
    const filter = options.compress ? ' /Filter /FlateDecode' : '';
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`);
    add(`<< /Length ${stream.length}${filter} >>\nstream\n${stream}\nendstream`);
  }
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, i) => {
    const offset = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** A 1×1 transparent PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

export function dataUrl(mimeType: string, bytes: Buffer | string): string {
  return `data:${mimeType};base64,${Buffer.from(bytes).toString('base64')}`;
}
