/**
 * What an uploaded file really is, from its first bytes — never from its name, which users and
 * browsers get wrong (an .xls that is HTML, a .csv that is an xlsx).
 */
import { bilingual } from '../i18n/messages.ts';

/** What a refused file is and what to do, in English (`description`, `advice`) and Arabic. */
export interface RefusedType {
  kind: 'refused';
  description: string;
  descriptionAr: string;
  advice: string;
  adviceAr: string;
}

export type SniffedType = { kind: 'zip' } | { kind: 'text' } | RefusedType;

/** Keys of the `sheets` catalogue: what the file is, and the advice. */
interface Signature {
  bytes: number[];
  type: string;
  advice: string;
}

const SAVE_AS = 'advice_save_as';

const refusedSignatures: Signature[] = [
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], type: 'type_xls', advice: SAVE_AS },
  { bytes: [0x25, 0x50, 0x44, 0x46], type: 'type_pdf', advice: 'advice_pdf' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], type: 'type_png', advice: SAVE_AS },
  { bytes: [0xff, 0xd8, 0xff], type: 'type_jpeg', advice: SAVE_AS },
  { bytes: [0x47, 0x49, 0x46, 0x38], type: 'type_gif', advice: SAVE_AS },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], type: 'type_elf', advice: SAVE_AS },
  { bytes: [0x4d, 0x5a], type: 'type_exe', advice: SAVE_AS },
  { bytes: [0x1f, 0x8b], type: 'type_gzip', advice: SAVE_AS },
  { bytes: [0x52, 0x61, 0x72, 0x21], type: 'type_rar', advice: SAVE_AS },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf], type: 'type_7zip', advice: SAVE_AS },
];

function refusedType(type: string, advice: string): RefusedType {
  const description = bilingual(`sheets.${type}`);
  const then = bilingual(`sheets.${advice}`);
  return {
    kind: 'refused',
    description: description.en,
    descriptionAr: description.ar,
    advice: then.en,
    adviceAr: then.ar,
  };
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((byte, index) => bytes[index] === byte);
}

export function sniffFileType(bytes: Uint8Array): SniffedType {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'zip' };
  if (startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return refusedType('type_empty_zip', SAVE_AS);
  const signature = refusedSignatures.find((candidate) => startsWith(bytes, candidate.bytes));
  if (signature) return refusedType(signature.type, signature.advice);
  return { kind: 'text' };
}
