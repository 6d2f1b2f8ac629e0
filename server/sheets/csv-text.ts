/**
 * Turns CSV bytes into text without guessing silently: UTF-8 (with or without BOM), UTF-16 LE/BE
 * (BOM, or the unmistakable NUL pattern of ASCII in UTF-16), otherwise Windows-1256 — what Excel
 * on an Arabic Windows machine writes for "CSV". Never returns text with U+FFFD in it.
 */
import { bilingual } from '../i18n/messages.ts';

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1256';

export type DecodedCsv =
  | { ok: true; text: string; encoding: CsvEncoding }
  | { ok: false; problem: 'binary' | 'markup' | 'encoding'; detail: string; detailAr: string };

/** How much of the file the NUL-pattern check looks at. */
const SAMPLE_BYTES = 4096;

function strictDecode(encoding: CsvEncoding, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** UTF-16 without a BOM: ASCII-range text has a NUL in every other byte. */
function utf16FromNulPattern(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const sample = bytes.subarray(0, Math.min(bytes.length, SAMPLE_BYTES) & ~1);
  const pairs = sample.length / 2;
  if (pairs === 0) return null;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let index = 0; index < sample.length; index += 2) {
    if (sample[index] === 0) evenNuls += 1;
    if (sample[index + 1] === 0) oddNuls += 1;
  }
  if (oddNuls / pairs > 0.4 && evenNuls / pairs < 0.05) return 'utf-16le';
  if (evenNuls / pairs > 0.4 && oddNuls / pairs < 0.05) return 'utf-16be';
  return null;
}

/** C0 controls other than tab, line feed and carriage return (and DEL) do not occur in real CSV text. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

/** Why the bytes are not CSV text, in the words of the `sheets.<key>` message. */
function notText(
  problem: 'binary' | 'markup' | 'encoding',
  key: string,
  values?: Record<string, string>,
): DecodedCsv {
  const words = bilingual(`sheets.${key}`, values);
  return { ok: false, problem, detail: words.en, detailAr: words.ar };
}

function finish(text: string | null, encoding: CsvEncoding): DecodedCsv {
  if (text === null) {
    return notText('encoding', 'text_not_encoding', { encoding });
  }
  if (text.includes('\ufffd')) {
    return notText('encoding', 'text_replacement');
  }
  if (hasControlCharacter(text)) return notText('binary', 'text_binary');
  if (/^\s*</.test(text)) return notText('markup', 'text_markup');
  return { ok: true, text, encoding };
}

export function decodeCsvBytes(bytes: Uint8Array): DecodedCsv {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return finish(strictDecode('utf-8', bytes.subarray(3)), 'utf-8');
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return finish(strictDecode('utf-16le', bytes.subarray(2)), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return finish(strictDecode('utf-16be', bytes.subarray(2)), 'utf-16be');
  if (bytes.includes(0)) {
    const utf16 = utf16FromNulPattern(bytes);
    if (!utf16) return notText('binary', 'text_binary');
    return finish(strictDecode(utf16, bytes), utf16);
  }
  const utf8 = strictDecode('utf-8', bytes);
  if (utf8 !== null) return finish(utf8, 'utf-8');
  // Not UTF-8: the legacy Arabic Windows code page, which assigns every byte.
  return finish(strictDecode('windows-1256', bytes), 'windows-1256');
}
