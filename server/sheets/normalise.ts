/**
 * Generic text normalisation for what people type into Arabic/English spreadsheets.
 * Pure functions; every other fleet module builds on these.
 */

const ARABIC_INDIC_ZERO = 0x0660;
const PERSIAN_ZERO = 0x06f0;

/** Arabic-Indic (U+0660–0669) and Persian/Urdu (U+06F0–06F9) digits → ASCII 0–9. */
export function toAsciiDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (digit) => {
    const code = digit.charCodeAt(0);
    const base = code >= PERSIAN_ZERO ? PERSIAN_ZERO : ARABIC_INDIC_ZERO;
    return String(code - base);
  });
}

/**
 * Direction marks and embeddings (LRM, RLM, ALM, LRE…PDF, LRI…PDI), zero-width characters, the
 * BOM and soft hyphen: invisible, but they make two identical-looking plates compare unequal.
 */
const INVISIBLE = /[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

/** Every Unicode space (NBSP, thin, ideographic…) and line break → one ASCII space, trimmed. */
export function collapseSpaces(text: string): string {
  return text.replace(/[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g, ' ').trim();
}

const TATWEEL = '\u0640';
/** Arabic-script letters (Arabic, Persian, Kurdish), without tatweel. */
export const ARABIC_LETTER = /[\u0620-\u063f\u0641-\u064a\u066e-\u06d3\u06d5\u06fa-\u06fc]/;

/**
 * Dash look-alikes → '-', slash look-alikes → '/'. Tatweel (ـ) is a kashida when it stretches an
 * Arabic letter (removed) but people also type it as a separator between numbers (`13ـ20697`),
 * so a tatweel that does not follow an Arabic letter or another tatweel becomes a dash.
 */
export function unifySeparators(text: string): string {
  let out = '';
  for (const char of text) {
    if (char === TATWEEL) {
      const previous = out.at(-1) ?? '';
      if (!ARABIC_LETTER.test(previous)) out += '-';
      continue;
    }
    out += char;
  }
  return out.replace(/[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g, '-').replace(/[\u2044\u2215\uff0f\\]/g, '/');
}

/**
 * Letter variants that people use interchangeably. `foldTaMarbuta` also maps ة → ه, which is
 * right for plates and header matching (nobody distinguishes them there) but not for names.
 */
export function foldArabicLetters(text: string, options: { foldTaMarbuta: boolean }): string {
  const folded = text
    .replace(/[\u0622\u0623\u0625\u0671]/g, '\u0627') // آ أ إ ٱ → ا
    .replace(/[\u0649\u06cc]/g, '\u064a') // ى ی → ي
    .replace(/\u06a9/g, '\u0643'); // ک → ك
  return options.foldTaMarbuta ? folded.replace(/\u0629/g, '\u0647') : folded;
}

/** Harakat, shadda, sukun, superscript alef and Quranic marks: meaningless for matching. */
export function stripDiacritics(text: string): string {
  return text.replace(/[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]/g, '');
}

/**
 * A cell value as stored: compatible forms (Arabic presentation forms, full-width digits) composed,
 * invisibles removed, spaces collapsed. Letters and digits are otherwise left as the user typed
 * them, because labels and names are shown back to people.
 */
export function normaliseCell(text: string): string {
  if (ALREADY_CLEAN.test(text)) return text;
  return collapseSpaces(stripInvisible(text.normalize('NFKC')));
}

/**
 * Words of printable ASCII and basic Arabic letters, single-spaced: NFKC leaves these alone (the
 * marks that compose with Arabic letters are outside the set), nothing is invisible and there are
 * no spaces to collapse. Most cells of a real list are like this; they skip the work.
 */
const ALREADY_CLEAN = /^[\x21-\x7e\u0621-\u063a\u0641-\u064a]+(?: [\x21-\x7e\u0621-\u063a\u0641-\u064a]+)*$/;
/** Printable ASCII words, single-spaced, without a backslash: an identifier only needs upper case. */
const PLAIN_IDENTIFIER = /^[\x21-\x5b\x5d-\x7e]+(?: [\x21-\x5b\x5d-\x7e]+)*$/;

/**
 * Aggressive form for identifiers (plates): everything in `normaliseCell`, ASCII digits, unified
 * separators, folded letter variants, no diacritics, Latin upper case.
 */
export function normaliseIdentifier(text: string): string {
  if (PLAIN_IDENTIFIER.test(text)) return text.toUpperCase();
  const cleaned = stripDiacritics(unifySeparators(toAsciiDigits(stripInvisible(text.normalize('NFKC')))));
  return collapseSpaces(foldArabicLetters(cleaned, { foldTaMarbuta: true })).toUpperCase();
}

/** For comparing labels such as column headers: lower case, no punctuation, folded letters. */
export function foldForMatching(text: string): string {
  const identifier = normaliseIdentifier(text).toLowerCase();
  return collapseSpaces(identifier.replace(/[^\p{L}\p{N}]+/gu, ' '));
}
