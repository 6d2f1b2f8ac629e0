/**
 * Lines of mixed Arabic and Latin text for pdfkit. pdfkit shapes Arabic (through fontkit) but does
 * not order it: a line is split here into directional runs by the Unicode Bidirectional Algorithm
 * (bidi-js, UAX #9 levels), the runs are put in visual order (rule L2), and each run is drawn at a
 * position computed here. A right-to-left run goes to pdfkit in logical order with shaping features,
 * laid out as one piece so fontkit reverses its glyphs once; numbers, plates, dates and Latin text
 * go as left-to-right runs, so `12.500` is never turned into `005.21`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import bidiModule, { type Bidi } from 'bidi-js';
import PDFDocument from 'pdfkit';
import { documentFont, fonts, parsedFontOf, shapingView } from './pdf-fonts.ts';

// A CommonJS module whose `module.exports` is the factory; its typings describe an ES default export.
const bidi = (bidiModule as unknown as () => Bidi)();

export type Direction = 'rtl' | 'ltr';

export interface DirectionalRun {
  /** The run's characters in logical order (mirrored brackets already swapped in RTL runs). */
  text: string;
  rtl: boolean;
}

/** Marks and isolates: they steer the algorithm and are never drawn (the font has no glyph for them). */
const BIDI_CONTROL = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Text kept left to right inside any line: amounts, dates, ticket numbers, references. */
export const ltr = (text: string) => `\u2066${text}\u2069`;
/** Text whose direction is its own first strong character, isolated from its line: plates, names. */
export const isolate = (text: string) => `\u2068${text}\u2069`;

/** Splits a line into directional runs, answered in visual order, left to right. */
export function visualRuns(line: string, base: Direction): DirectionalRun[] {
  if (line.length === 0) return [];
  // Most table cells (amounts, dates, tickets, plates, words) are one run: no need for the algorithm.
  const single = singleLtrRun(line, base);
  if (single !== undefined) return [{ text: single, rtl: false }];
  const arabic = singleRtlRun(line, base);
  if (arabic !== undefined) return [{ text: arabic, rtl: true }];
  return runsByAlgorithm(line, base);
}

/** A line's runs in visual order by the Unicode Bidirectional Algorithm, whatever the line. */
export function runsByAlgorithm(line: string, base: Direction): DirectionalRun[] {
  if (line.length === 0) return [];
  const { levels } = bidi.getEmbeddingLevels(line, base);
  const mirrored = bidi.getMirroredCharactersMap(line, levels);
  const chars = [...line];
  // Code units → code points: levels are per UTF-16 unit; a surrogate pair shares its first unit's level.
  const runs: Array<{ text: string; level: number }> = [];
  let unit = 0;
  for (const char of chars) {
    if (BIDI_CONTROL.test(char)) {
      unit += char.length;
      continue;
    }
    const level = levels[unit]!;
    const shown = mirrored.get(unit) ?? char;
    const last = runs.at(-1);
    if (last && last.level === level) last.text += shown;
    else runs.push({ text: shown, level });
    unit += char.length;
  }
  // L2: from the highest level down to the lowest odd one, reverse every maximal sequence of runs at
  // that level or higher. Characters inside a run keep logical order: the font reverses RTL glyphs.
  const highest = Math.max(...runs.map((r) => r.level));
  const lowestOdd = Math.min(...runs.map((r) => (r.level % 2 === 1 ? r.level : highest + 1)));
  for (let level = highest; level >= lowestOdd; level--) {
    let i = 0;
    while (i < runs.length) {
      if (runs[i]!.level < level) {
        i++;
        continue;
      }
      let j = i;
      while (j < runs.length && runs[j]!.level >= level) j++;
      const reversed = runs.slice(i, j).reverse();
      runs.splice(i, j - i, ...reversed);
      i = j;
    }
  }
  return runs.map((r) => ({ text: r.text, rtl: r.level % 2 === 1 }));
}

/**
 * The text of a line that is a single left-to-right run whatever the algorithm does: no
 * right-to-left character, and either a left-to-right paragraph with no marks, or one isolate
 * (`ltr`, or `isolate`, whose first strong character can then only be left to right) with nothing
 * outside it. Undefined otherwise.
 */
function singleLtrRun(line: string, base: Direction): string | undefined {
  if (hasRtl(line)) return undefined;
  if (base === 'ltr' && !BIDI_CONTROL.test(line)) return line;
  const inner = isolated(line);
  return inner === undefined || BIDI_CONTROL.test(inner) ? undefined : inner;
}

/**
 * What one isolate (left to right, or first strong) holds when it is the whole line, unless empty
 * or with spaces at an end (the algorithm gives those spaces the paragraph's level).
 */
function isolated(line: string): string | undefined {
  const opens = line.startsWith('\u2066') || line.startsWith('\u2068');
  if (!opens || !line.endsWith('\u2069')) return undefined;
  const inner = line.slice(1, -1);
  return inner.length > 0 && inner.trim() === inner ? inner : undefined;
}

/**
 * Arabic letters and marks with spaces between them, starting with a letter: nothing neutral at
 * either end, no digits, brackets or marks of direction.
 */
const ARABIC_WORDS =
  /^[\u0621-\u063a\u0640-\u064a\u066e\u066f\u0671-\u06d3\u06d5](?:[\u0621-\u063a\u0640-\u065f\u066e-\u06d3\u06d5 ]*[\u0621-\u063a\u0640-\u065f\u066e-\u06d3\u06d5])?$/;

/**
 * The text of a line that is a single right-to-left run whatever the algorithm does: Arabic
 * words alone in an Arabic paragraph, or alone in an isolate (`isolate`) that is the whole line.
 */
function singleRtlRun(line: string, base: Direction): string | undefined {
  if (base === 'rtl' && ARABIC_WORDS.test(line)) return line;
  const inner = line.startsWith('\u2068') ? isolated(line) : undefined;
  return inner !== undefined && ARABIC_WORDS.test(inner) ? inner : undefined;
}

/** Whether a text has any right-to-left character (Arabic, Hebrew…). */
export function hasRtl(text: string): boolean {
  return /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/.test(text);
}

const require = createRequire(import.meta.url);

export { fonts } from './pdf-fonts.ts';

/**
 * Shaping for Arabic runs (fontkit adds the positional forms by script); given features, pdfkit lays
 * the run out whole, so its glyphs are reversed once.
 */
const RTL_FEATURES = ['rlig', 'liga', 'calt', 'mark', 'mkmk', 'kern'];
/**
 * Left-to-right runs (plates, amounts, dates, tickets, Latin words) with every OpenType feature
 * off: Amiri's contextual lookups do nothing to digits and plain Latin, yet cost more than all
 * else in drawing a statement, and without features pdfkit would keep every distinct word (every
 * ticket number of a 250,000-line statement) in its own unbounded cache.
 */
const LTR_FEATURES: Record<string, false> = Object.fromEntries(
  [
    ...['rvrn', 'ltra', 'ltrm', 'frac', 'numr', 'dnom'],
    ...['ccmp', 'locl', 'rlig', 'mark', 'mkmk'],
    ...['calt', 'clig', 'liga', 'rclt', 'curs', 'kern'],
  ].map((tag) => [tag, false]),
);

/** What a line needs from a pdfkit document: measuring and drawing one run at a point. */
export interface TextSurface {
  widthOfString(text: string, options?: { features?: string[] | Record<string, false> }): number;
  text(text: string, x: number, y: number, options?: object): unknown;
}

const featuresOf = (run: DirectionalRun) => (run.rtl ? RTL_FEATURES : LTR_FEATURES);

function runsWidth(doc: TextSurface, runs: DirectionalRun[]): number {
  let width = 0;
  for (const run of runs) width += doc.widthOfString(run.text, { features: featuresOf(run) });
  return width;
}

/**
 * The longest logical prefix of `text` that, with an ellipsis, fits `width` (the whole text when
 * it fits). Cut by logical order, so what is kept is what is read first in either direction.
 */
export function fitText(doc: TextSurface, text: string, width: number, base: Direction): string {
  if (runsWidth(doc, visualRuns(text, base)) <= width) return text;
  const chars = [...text];
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = `${chars.slice(0, mid).join('').trimEnd()}…`;
    if (runsWidth(doc, visualRuns(candidate, base)) <= width) low = mid;
    else high = mid - 1;
  }
  return `${chars.slice(0, low).join('').trimEnd()}…`;
}

/**
 * The part of pdfkit's EmbeddedFont (not public API) the shaping cache relies on: `layout` lays a
 * run with features out through `layoutRun`, and the encoder only reads the run it answers.
 */
interface ShapingFont {
  layoutRun(text: string, features?: string[] | Record<string, false>): ShapedRun;
  layout(text: string, features?: string[] | Record<string, false>, onlyWidth?: boolean): unknown;
}

interface GlyphPosition {
  xAdvance: number;
}

/** A laid-out run as pdfkit reads it: glyphs, their positions and (measuring) the total advance. */
interface ShapedRun {
  glyphs: object[];
  positions: GlyphPosition[];
  readonly advanceWidth: number;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** pdfkit versions whose EmbeddedFont the shaping cache was checked against. */
export const SHAPING_CACHE_PDFKIT = '>=0.15 <0.21';

/** Whether a pdfkit version is one the shaping cache was checked against (0.15 to 0.20). */
export function shapingCacheSupports(version: string): boolean {
  const match = /^0\.(\d+)\.\d+/.exec(version);
  return match !== null && Number(match[1]) >= 15 && Number(match[1]) <= 20;
}

export class ShapingCacheError extends Error {
  override name = 'ShapingCacheError';
}

let installedPdfkit: string | undefined;

/** The installed pdfkit's version, read once per process. */
function pdfkitVersion(): string {
  if (installedPdfkit !== undefined) return installedPdfkit;
  const main = require.resolve('pdfkit');
  const manifest = JSON.parse(
    fs.readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8'),
  ) as { name?: string; version?: string };
  if (manifest.name !== 'pdfkit' || !manifest.version)
    throw new ShapingCacheError(`pdfkit's package.json was not found beside ${main}`);
  installedPdfkit = manifest.version;
  return installedPdfkit;
}

const unsupported = (version: string, why: string) =>
  new ShapingCacheError(
    `pdfkit ${version}: the Arabic shaping cache (server/documents/pdf-text.ts) cannot attach: ${why}. ` +
      `It was checked against pdfkit ${SHAPING_CACHE_PDFKIT}; pin pdfkit to that range, or check that ` +
      'EmbeddedFont.layout still lays out runs with features through layoutRun and widen the range.',
  );

/** A shaped run made read-only: a pdfkit that began changing cached runs would fail loudly, not garble text. */
function freezeRun(run: ShapedRun): ShapedRun {
  for (const glyph of run.glyphs) Object.freeze(glyph);
  for (const position of run.positions) Object.freeze(position);
  Object.freeze(run.glyphs);
  Object.freeze(run.positions);
  return Object.freeze(run);
}

interface ShapingCaches {
  /** Right-to-left runs, by features and text. */
  known: Map<string, ShapedRun>;
  /** Printable ASCII characters, each laid out alone with every feature off. */
  characters: Map<string, ShapedRun>;
}

/** Runs shaped for any document of the process drawn with a view of a parsed font, per parsed font. */
const sharedShaping = new Map<object, ShapingCaches>();

/** Empties the runs shared by the process's documents (the start-up check begins from none). */
export function forgetSharedShaping(): void {
  sharedShaping.clear();
}

/**
 * Remembers the shaped runs of a registered font (pdfkit caches only runs laid out without
 * features): a statement repeats the same Arabic words on every row, and shaping Amiri is the
 * costliest step of drawing a line. It wraps a method of pdfkit's font object, which is not
 * public API: the pdfkit version and the method's shape are checked first, and at start-up
 * `checkShapingCache` proves the cache is used and shapes exactly as pdfkit does.
 *
 * A font registered as a view of the process's parsed font (pdf-fonts.ts) shares its Arabic runs
 * and characters with every document of the process, each shaped alone on a view of its own, so
 * a run's glyphs carry the run's own characters (which pdfkit writes into the document's text
 * map) whichever document shaped it first: a document's bytes do not depend on what the process
 * drew before it. A font parsed on its own keeps them for its document.
 */
export function rememberShaping(doc: PDFKit.PDFDocument, fontName: string, limit = 20_000): void {
  const version = pdfkitVersion();
  if (!shapingCacheSupports(version)) throw unsupported(version, 'the version is outside the range');
  doc.font(fontName);
  const font = (doc as unknown as { _font?: Partial<ShapingFont> & { font?: object; scale?: number } })._font;
  if (typeof font?.layoutRun !== 'function' || typeof font.layout !== 'function')
    throw unsupported(version, 'its font object has no layoutRun/layout methods');
  const own = font.layoutRun.bind(font);
  const parsed = font.font === undefined ? undefined : parsedFontOf(font.font);
  let caches: ShapingCaches = { known: new Map(), characters: new Map() };
  let shape = own;
  if (parsed !== undefined) {
    caches = sharedShaping.get(parsed) ?? caches;
    sharedShaping.set(parsed, caches);
    // pdfkit's own layoutRun (it reads only `font` and `scale`), on the shared shaping view.
    const layoutRun = font.layoutRun;
    const scale = font.scale;
    shape = (text, features) => layoutRun.call({ font: shapingView(parsed), scale }, text, features);
  }
  const { known, characters } = caches;
  // Only right-to-left runs (features as a list) repeat enough to be worth keeping; a left-to-right
  // run is kept from being measured to being drawn, which follows at once.
  // Printable ASCII (amounts, dates, tickets, plates, English words) laid out with every feature
  // off is each character's glyph and advance in turn: such a run is put together from its
  // characters' runs, shaped once each.
  let lastLtr: { text: string; run: ShapedRun } | undefined;
  font.layoutRun = (text, features) => {
    if (!Array.isArray(features)) {
      if (lastLtr?.text === text) return lastLtr.run;
      if (!PRINTABLE_ASCII.test(text)) {
        lastLtr = { text, run: freezeRun(own(text, features)) };
        return lastLtr.run;
      }
      const glyphs: object[] = [];
      const positions: GlyphPosition[] = [];
      for (const char of text) {
        let one = characters.get(char);
        if (one === undefined) {
          one = freezeRun(shape(char, features));
          characters.set(char, one);
        }
        glyphs.push(...one.glyphs);
        positions.push(...one.positions);
      }
      // What fontkit's run answers as its width: the advances summed in order.
      let advanceWidth = 0;
      for (const position of positions) advanceWidth += position.xAdvance;
      lastLtr = { text, run: Object.freeze({ glyphs, positions, advanceWidth }) };
      Object.freeze(glyphs);
      Object.freeze(positions);
      return lastLtr.run;
    }
    const key = `${features.join(',')}\u0000${text}`;
    let run = known.get(key);
    if (run === undefined) {
      if (known.size >= limit) known.clear();
      run = freezeRun(shape(text, features));
      known.set(key, run);
    }
    return run;
  };
}

/** Left-to-right runs as statements draw them: every printable ASCII character, and pairs a font could kern. */
const LTR_SAMPLES = [
  Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  '2026-12-05 10:00  T0000123456  1,234.500  10-200001  AVAWAY To Ty Yo fi ffl',
  'Unpaid — 12 345,67 € ½',
];

/**
 * Proves, on scratch documents, that the shaping cache attaches to this pdfkit, is really used
 * (a repeated Arabic run is shaped once) and changes nothing (the same widths and the same PDF
 * bytes as pdfkit alone, Arabic and left-to-right runs put together from their characters), also
 * in documents drawn with a view of the process's parsed font (pdf-fonts.ts), the first and a
 * later one. Rejects with a ShapingCacheError saying what to do otherwise.
 */
export async function checkShapingCache(): Promise<void> {
  const version = pdfkitVersion();
  const sample = 'كشف المخالفات المرورية';
  type Font = 'parsed anew' | 'cached' | 'shared' | 'shared again';
  const draw = async (font: Font) => {
    const shared = font === 'shared' || font === 'shared again';
    const doc = new PDFDocument({
      autoFirstPage: false,
      compress: false,
      info: { CreationDate: new Date(0) },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => doc.on('end', resolve));
    doc.registerFont('probe', shared ? documentFont('regular') : fonts.regular);
    if (font === 'shared') forgetSharedShaping();
    if (font !== 'parsed anew') rememberShaping(doc, 'probe');
    doc.font('probe').fontSize(10).addPage();
    // Counts the shaping engine's work under whatever pdfkit does with the run: on the document's
    // fontkit font, or on the parsed font its view and the shared shaping view inherit from.
    type Engine = { layout?: (this: unknown, ...a: unknown[]) => unknown };
    const own = (doc as unknown as { _font: { font?: Engine } })._font.font;
    const engine: Engine | undefined = shared && own ? Object.getPrototypeOf(own) : own;
    const layout = engine?.layout;
    if (engine === undefined || typeof layout !== 'function')
      throw unsupported(version, 'its font object has no fontkit font');
    let shaped = 0;
    engine.layout = function (...args: unknown[]) {
      shaped += 1;
      return layout.apply(this, args);
    };
    try {
      const surface = doc as unknown as TextSurface;
      const widths = [1, 2, 3].map(() => surface.widthOfString(sample, { features: RTL_FEATURES }));
      surface.text(sample, 10, 10, { lineBreak: false, features: RTL_FEATURES });
      const counted = shaped;
      for (const [index, line] of LTR_SAMPLES.entries()) {
        widths.push(surface.widthOfString(line, { features: LTR_FEATURES }));
        surface.text(line, 10, 30 + index * 12, { lineBreak: false, features: LTR_FEATURES });
      }
      shaped = counted;
      doc.end();
      await ended;
      return { widths: widths.join(), bytes: Buffer.concat(chunks), shaped };
    } finally {
      delete engine.layout;
    }
  };
  const plain = await draw('parsed anew');
  for (const font of ['cached', 'shared', 'shared again'] as const) {
    const cached = await draw(font);
    // A later document finds the run the first one shaped.
    const expected = font === 'shared again' ? 0 : 1;
    if (cached.shaped !== expected)
      throw unsupported(
        version,
        `a run measured three times and drawn once was shaped ${cached.shaped} times, not ${expected}`,
      );
    if (cached.widths !== plain.widths || !cached.bytes.equals(plain.bytes))
      throw unsupported(
        version,
        `a cached run (${font} font) measures or draws differently from pdfkit alone`,
      );
  }
}

export interface LineBox {
  x: number;
  y: number;
  width: number;
  /** Base direction of the paragraph: `rtl` for Arabic documents. */
  base: Direction;
  /** Where the line sits in its box; defaults to the base direction's start. */
  align?: 'start' | 'end' | 'center';
}

/**
 * Draws one line (no wrapping; too long a text is cut with an ellipsis) in the box, runs placed
 * left to right in visual order, and answers the width drawn. The document's current font and
 * size are used.
 */
export function drawLine(doc: TextSurface, text: string, box: LineBox): number {
  let runs = visualRuns(text, box.base);
  let widths = runs.map((run) => doc.widthOfString(run.text, { features: featuresOf(run) }));
  let total = widths.reduce((a, b) => a + b, 0);
  if (total > box.width) {
    runs = visualRuns(fitText(doc, text, box.width, box.base), box.base);
    widths = runs.map((run) => doc.widthOfString(run.text, { features: featuresOf(run) }));
    total = widths.reduce((a, b) => a + b, 0);
  }
  const align = box.align ?? 'start';
  const startsRight = (align === 'start') === (box.base === 'rtl');
  let x =
    align === 'center' ? box.x + (box.width - total) / 2 : startsRight ? box.x + box.width - total : box.x;
  runs.forEach((run, index) => {
    doc.text(run.text, x, box.y, { lineBreak: false, features: featuresOf(run) });
    x += widths[index]!;
  });
  return total;
}
