/** Egyptian plates: 1–3 Arabic letters and 1–4 digits (or their Latin spelling), or older numbers-only plates. */
import {
  checkNumber,
  normalisedSet,
  numericValue,
  ok,
  type PlateScheme,
  refuse,
  unrecognised,
} from './scheme.ts';

/** The 17 letters used on Egyptian plates, after letter folding (ى → ي, أ → ا). */
const egyptPlateLetters = new Set([...'ابجدرسصطعفقلمنهوي']);

/** One common Latin spelling per plate letter (ص has none in common use and must be typed in Arabic). */
const egyptLatinLetters: Record<string, string> = {
  A: 'ا',
  B: 'ب',
  G: 'ج',
  J: 'ج',
  D: 'د',
  R: 'ر',
  S: 'س',
  T: 'ط',
  E: 'ع',
  F: 'ف',
  Q: 'ق',
  L: 'ل',
  M: 'م',
  N: 'ن',
  H: 'ه',
  W: 'و',
  Y: 'ي',
};

const egypt = { lettersMax: 3, lettersNumberMaxDigits: 4, numericMaxDigits: 6 };

export const egyptScheme: PlateScheme = {
  // ملاكي (private) is printed on old plates; the numbers alone identify them in one fleet.
  noiseWords: normalisedSet(['EGYPT', 'EG', 'مصر', 'ملاكي']),
  parse(tokens) {
    const digitGroups = tokens
      .filter((token) => token.kind === 'digits')
      .map((token) => numericValue(token.text));
    const arabic = tokens.filter((token) => token.kind === 'arabic').flatMap((token) => [...token.text]);
    const latinRaw = tokens.filter((token) => token.kind === 'latin').flatMap((token) => [...token.text]);
    if (digitGroups.length !== 1) {
      return unrecognised('letters and a number, e.g. ب ط ر 1234', 'حروف ورقم، مثل ب ط ر 1234');
    }
    const number = digitGroups[0]!;
    if (arabic.length === 0 && latinRaw.length === 0) {
      const error = checkNumber(number, egypt.numericMaxDigits);
      return error ?? ok(`EG:OLD:${number}`, { scheme: 'eg', form: 'numeric', number }, number);
    }
    const latinUnknown = latinRaw.find((letter) => egyptLatinLetters[letter] === undefined);
    if (latinUnknown !== undefined) {
      return refuse('plate.letter_invalid', 'latin_letter_egypt', { letter: latinUnknown });
    }
    const latin = latinRaw.map((letter) => egyptLatinLetters[letter]!);
    if (arabic.length > 0 && latin.length > 0 && arabic.join('') !== latin.join('')) {
      return refuse('plate.letter_mismatch', 'letters_disagree_egypt', {
        arabic: arabic.join(' '),
        latin: latinRaw.join(''),
      });
    }
    const letters = arabic.length > 0 ? arabic : latin;
    const invalid = letters.find((letter) => !egyptPlateLetters.has(letter));
    if (invalid !== undefined) {
      return refuse('plate.letter_invalid', 'letter_unused_egypt', { letter: invalid });
    }
    if (letters.length > egypt.lettersMax) {
      return refuse('plate.letters_too_many', 'letters_too_many', {
        count: letters.length,
        max: egypt.lettersMax,
      });
    }
    const error = checkNumber(number, egypt.lettersNumberMaxDigits);
    if (error) return error;
    return ok(
      `EG:${letters.join('')}-${number}`,
      { scheme: 'eg', form: 'letters', letters: letters.join(''), number },
      `${letters.join(' ')} ${number}`,
    );
  },
};
