/**
 * What an uploaded file really is, from its first bytes — never from its name, which users and
 * browsers get wrong (an .xls that is HTML, a .csv that is an xlsx).
 */
export type SniffedType =
  | { kind: 'zip' }
  | { kind: 'text' }
  | { kind: 'refused'; description: string; advice: string };

interface Signature {
  bytes: number[];
  description: string;
  advice: string;
}

const SAVE_AS = 'Save it as .xlsx or .csv and upload again.';

const refusedSignatures: Signature[] = [
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    description: 'an old Excel 97–2003 (.xls) or other Office binary file',
    advice: SAVE_AS,
  },
  {
    bytes: [0x25, 0x50, 0x44, 0x46],
    description: 'a PDF document',
    advice: 'Upload the spreadsheet the PDF was made from.',
  },
  { bytes: [0x89, 0x50, 0x4e, 0x47], description: 'a PNG image', advice: SAVE_AS },
  { bytes: [0xff, 0xd8, 0xff], description: 'a JPEG image', advice: SAVE_AS },
  { bytes: [0x47, 0x49, 0x46, 0x38], description: 'a GIF image', advice: SAVE_AS },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], description: 'a program (ELF executable)', advice: SAVE_AS },
  { bytes: [0x4d, 0x5a], description: 'a program (Windows executable)', advice: SAVE_AS },
  { bytes: [0x1f, 0x8b], description: 'a gzip archive', advice: SAVE_AS },
  { bytes: [0x52, 0x61, 0x72, 0x21], description: 'a RAR archive', advice: SAVE_AS },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], description: 'a 7-Zip archive', advice: SAVE_AS },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((byte, index) => bytes[index] === byte);
}

export function sniffFileType(bytes: Uint8Array): SniffedType {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'zip' };
  if (startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return { kind: 'refused', description: 'an empty zip archive', advice: SAVE_AS };
  }
  const refused = refusedSignatures.find((signature) => startsWith(bytes, signature.bytes));
  if (refused) return { kind: 'refused', description: refused.description, advice: refused.advice };
  return { kind: 'text' };
}
