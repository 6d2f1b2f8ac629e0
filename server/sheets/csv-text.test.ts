import { describe, expect, it } from 'vitest';
import { decodeCsvBytes } from './csv-text.ts';

const text = 'رقم اللوحة,السائق\r\n13-20697,أحمد\r\n';

function windows1256(value: string): Uint8Array {
  const decoder = new TextDecoder('windows-1256');
  const table = new Map<string, number>();
  for (let byte = 0; byte < 256; byte += 1) table.set(decoder.decode(Uint8Array.of(byte)), byte);
  return Uint8Array.from([...value], (char) => table.get(char)!);
}

function utf16be(value: string): Uint8Array {
  const le = Buffer.from(value, 'utf16le');
  return le.swap16();
}

describe('decodeCsvBytes', () => {
  it.each([
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8'],
    ['UTF-8 without BOM', Buffer.from(text), 'utf-8'],
    [
      'UTF-16 LE with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      'utf-16le',
    ],
    ['UTF-16 BE with BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]), 'utf-16be'],
    ['Windows-1256', windows1256(text), 'windows-1256'],
  ])('reads %s', (_name, bytes, encoding) => {
    expect(decodeCsvBytes(bytes)).toEqual({ ok: true, text, encoding });
  });

  it('recognises BOM-less UTF-16 from its NUL pattern', () => {
    const ascii = 'Plate,Driver\r\n13-20697,Ali\r\n';
    expect(decodeCsvBytes(Buffer.from(ascii, 'utf16le'))).toEqual({
      ok: true,
      text: ascii,
      encoding: 'utf-16le',
    });
    expect(decodeCsvBytes(utf16be(ascii))).toEqual({ ok: true, text: ascii, encoding: 'utf-16be' });
  });

  it('reads pure ASCII as UTF-8', () => {
    expect(decodeCsvBytes(Buffer.from('Plate\n13-1\n'))).toMatchObject({ ok: true, encoding: 'utf-8' });
  });

  it('refuses a file that claims UTF-8 by its BOM but is not', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), windows1256(text)]);
    expect(decodeCsvBytes(bytes)).toMatchObject({ ok: false, problem: 'encoding' });
  });

  it('refuses text that already contains replacement characters', () => {
    expect(decodeCsvBytes(Buffer.from('Plate\n13-\ufffd\n'))).toMatchObject({
      ok: false,
      problem: 'encoding',
    });
  });

  it('refuses binary data: NUL bytes without a UTF-16 pattern, or control characters', () => {
    expect(decodeCsvBytes(Uint8Array.from([0x50, 0, 0, 0, 0x41, 0x42, 0, 0x43, 0x44, 0x45]))).toMatchObject({
      ok: false,
      problem: 'binary',
    });
    expect(decodeCsvBytes(Buffer.from('Plate\n\u0001\u0002\u0003\n'))).toMatchObject({
      ok: false,
      problem: 'binary',
    });
  });

  it('refuses web pages saved with a spreadsheet name', () => {
    expect(
      decodeCsvBytes(Buffer.from('  <html><table><tr><td>Plate</td></tr></table></html>')),
    ).toMatchObject({
      ok: false,
      problem: 'markup',
    });
  });
});
