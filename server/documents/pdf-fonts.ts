/**
 * The documents' font, Amiri, parsed once per process. Parsing its tables (the Arabic shaping
 * lookups above all) is most of what a small document costs when every document parses the font
 * anew, so each document gets a view of the process's parsed font: the tables are shared, the
 * glyph objects are the document's own. A glyph object keeps the characters it was first made for,
 * which pdfkit writes into the document's text map, so sharing glyphs would make a document's
 * bytes depend on what the process drew before it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

const require = createRequire(import.meta.url);

/** Amiri (SIL OFL) from @expo-google-fonts/amiri: Arabic, Arabic-Indic and Western digits, Latin. */
export const fonts = {
  regular: fs.readFileSync(require.resolve('@expo-google-fonts/amiri/400Regular/Amiri_400Regular.ttf')),
  bold: fs.readFileSync(require.resolve('@expo-google-fonts/amiri/700Bold/Amiri_700Bold.ttf')),
};

export type FontName = keyof typeof fonts;

/** The part of fontkit's font a view replaces: its glyph objects, by glyph id. */
interface ParsedFont {
  _glyphs: Record<number, object>;
  layout(text: string): unknown;
}

const parsed = new Map<FontName, ParsedFont>();

/** The process's parsed font, as pdfkit parses a registered font (through its fontkit). */
function parsedFont(name: FontName): ParsedFont {
  let font = parsed.get(name);
  if (font === undefined) {
    const scratch = new PDFDocument({ autoFirstPage: false });
    scratch.registerFont(name, fonts[name]);
    scratch.font(name);
    font = (scratch as unknown as { _font?: { font?: ParsedFont } })._font?.font;
    if (typeof font?.layout !== 'function' || typeof font._glyphs !== 'object')
      throw new Error(`pdfkit's registered font ${name} has no fontkit font to share`);
    parsed.set(name, font);
  }
  return font;
}

/**
 * A font for one document: the process's parsed tables and a glyph cache of the document's own
 * (fontkit keeps its layout engine and character map lazily on the object that asks, the view).
 * `checkShapingCache` proves at start-up that a view draws the same bytes as the font parsed anew.
 */
export function documentFont(name: FontName): Buffer {
  const view = Object.create(parsedFont(name)) as ParsedFont;
  view._glyphs = {};
  // pdfkit takes any object with fontkit's `layout` as a font; its typings list only sources.
  return view as unknown as Buffer;
}

/** The process's parsed font a document's font is a view of; undefined for a font parsed on its own. */
export function parsedFontOf(font: object): object | undefined {
  const parent = Object.getPrototypeOf(font) as ParsedFont;
  return [...parsed.values()].includes(parent) ? parent : undefined;
}

const shapingViews = new Map<object, ParsedFont>();

/**
 * A view of a parsed font for shaping runs that every document of the process reuses: its glyph
 * cache is emptied before each run, so the run's glyphs are made for the run's own characters,
 * whatever was shaped before it.
 */
export function shapingView(parsedFont: object): object {
  let view = shapingViews.get(parsedFont);
  if (view === undefined) {
    view = Object.create(parsedFont) as ParsedFont;
    shapingViews.set(parsedFont, view);
  }
  view._glyphs = {};
  return view;
}

/** Registers the documents' fonts, `regular` and `bold`, in a new document. */
export function registerFonts(doc: PDFKit.PDFDocument): void {
  doc.registerFont('regular', documentFont('regular'));
  doc.registerFont('bold', documentFont('bold'));
}
