/**
 * Code 128 barcodes drawn into a PDF as vector bars: bwip-js (Barcode Writer in Pure PostScript)
 * encodes, answering the bar and space widths in modules; each bar becomes one rectangle, so the
 * symbol prints sharp at any resolution. A payment number is all digits: Code 128 packs two per
 * symbol (set C), which keeps a 16-digit number short enough for a table cell.
 */
import bwipjs from 'bwip-js';

/** Quiet zone each side, in modules (the standard asks for ten). */
const QUIET_MODULES = 10;

/** The last symbol encoded: a cell measures its number's barcode, then draws it. */
let last: { text: string; widths: number[] } | undefined;

/** Bar and space widths, bar first, in modules. */
export function code128Widths(text: string): number[] {
  if (last?.text === text) return last.widths;
  const [symbol] = bwipjs.raw('code128', text, {}) as Array<{ sbs?: number[] }>;
  if (!symbol?.sbs) throw new Error(`bwip-js answered no Code 128 bars for ${JSON.stringify(text)}`);
  last = { text, widths: symbol.sbs };
  return symbol.sbs;
}

/** The symbol's width with its quiet zones, in points, at `module` points per module. */
export function code128Width(text: string, module: number): number {
  return (code128Widths(text).reduce((a, b) => a + b, 0) + 2 * QUIET_MODULES) * module;
}

/** Draws `text` as Code 128 with its quiet zones from (x, y); answers the width taken. */
export function drawCode128(
  doc: PDFKit.PDFDocument,
  text: string,
  at: { x: number; y: number; module: number; height: number },
): number {
  const widths = code128Widths(text);
  let x = at.x + QUIET_MODULES * at.module;
  doc.save().fillColor('#000000');
  widths.forEach((modules, index) => {
    if (index % 2 === 0) doc.rect(x, at.y, modules * at.module, at.height);
    x += modules * at.module;
  });
  doc.fill().restore();
  return x + QUIET_MODULES * at.module - at.x;
}
