/**
 * The first rows of a vehicle list, read in the browser before anything is sent: CSV through
 * papaparse (after working out the text's encoding as the server does: UTF-16 by its BOM, UTF-8
 * when it decodes cleanly, else Windows-1256), XLSX by unzipping only the first sheet and its
 * shared strings with fflate. Only a preview: the server's validation is the one that counts.
 */
export interface Preview {
  rows: string[][];
  /** Why no preview could be made (the file still goes to the server, which says what is wrong). */
  problem?: 'unreadable' | 'too_large' | 'unknown_type';
}

const PREVIEW_ROWS = 10;
const XLSX_PREVIEW_MAX_BYTES = 8 * 1024 * 1024;

export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1256').decode(bytes);
  }
}

async function csvPreview(file: File): Promise<Preview> {
  const { default: Papa } = await import('papaparse');
  // A cut in the middle of a multi-byte character would read as a bad encoding: cut at a line end.
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  let end = head.length;
  if (file.size > head.length) {
    const lastNewline = head.lastIndexOf(0x0a);
    if (lastNewline > 0) end = lastNewline + 1;
  }
  const text = decodeText(head.subarray(0, end)).replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(text, { preview: PREVIEW_ROWS + 1, skipEmptyLines: 'greedy' });
  return { rows: parsed.data };
}

function columnIndex(ref: string): number {
  let n = 0;
  for (const ch of ref.replace(/[0-9]/g, '')) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

async function xlsxPreview(file: File): Promise<Preview> {
  if (file.size > XLSX_PREVIEW_MAX_BYTES) return { rows: [], problem: 'too_large' };
  const { unzipSync, strFromU8 } = await import('fflate');
  const bytes = new Uint8Array(await file.arrayBuffer());
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (f) => f.name === 'xl/sharedStrings.xml' || /^xl\/worksheets\/sheet\d+\.xml$/.test(f.name),
    });
  } catch {
    return { rows: [], problem: 'unreadable' };
  }
  const sheetName = Object.keys(entries)
    .filter((n) => n.startsWith('xl/worksheets/'))
    .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))[0];
  if (!sheetName) return { rows: [], problem: 'unreadable' };
  const xml = new DOMParser();
  const shared: string[] = [];
  const sharedXml = entries['xl/sharedStrings.xml'];
  if (sharedXml) {
    const doc = xml.parseFromString(strFromU8(sharedXml), 'application/xml');
    for (const si of Array.from(doc.getElementsByTagName('si'))) {
      shared.push(
        Array.from(si.getElementsByTagName('t'))
          .map((t) => t.textContent ?? '')
          .join(''),
      );
    }
  }
  const sheet = xml.parseFromString(strFromU8(entries[sheetName]!), 'application/xml');
  const rows: string[][] = [];
  for (const row of Array.from(sheet.getElementsByTagName('row'))) {
    const cells: string[] = [];
    for (const c of Array.from(row.getElementsByTagName('c'))) {
      const type = c.getAttribute('t');
      const v = c.getElementsByTagName('v')[0]?.textContent ?? '';
      const text =
        type === 's'
          ? (shared[Number(v)] ?? '')
          : type === 'inlineStr'
            ? Array.from(c.getElementsByTagName('t'))
                .map((t) => t.textContent ?? '')
                .join('')
            : v;
      cells[columnIndex(c.getAttribute('r') ?? 'A')] = text;
    }
    if (cells.some((x) => x && x.trim() !== '')) rows.push(Array.from(cells, (x) => x ?? ''));
    if (rows.length > PREVIEW_ROWS) break;
  }
  return { rows };
}

export async function previewFile(file: File): Promise<Preview> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  try {
    if (isZip) return await xlsxPreview(file);
    if (/\.(csv|txt|tsv)$/i.test(file.name) || file.type.startsWith('text/')) return await csvPreview(file);
    return { rows: [], problem: 'unknown_type' };
  } catch {
    return { rows: [], problem: 'unreadable' };
  }
}
