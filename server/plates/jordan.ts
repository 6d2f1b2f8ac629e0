/** Jordanian plates: a numeric code 1–99 or a 1–3 letter code, and a number of 1–6 digits. */
import {
  checkNumber,
  fail,
  normalisedSet,
  numericValue,
  ok,
  type PlateScheme,
  splitCodeAndNumber,
  unrecognised,
} from './scheme.ts';

const jordan = {
  codeMaxDigits: 2,
  letterCodeMaxLength: 3,
  numberMaxDigits: 6,
};

export const jordanScheme: PlateScheme = {
  noiseWords: normalisedSet(['JORDAN', 'JO', 'HKJ', 'الأردن', 'اردن']),
  parse(tokens) {
    const expected = 'a code and a number, e.g. 13-20697';
    const expectedAr = 'رمز ورقم، مثل 13-20697';
    const digitGroups = tokens
      .filter((token) => token.kind === 'digits')
      .map((token) => numericValue(token.text));
    const letterTokens = tokens.filter((token) => token.kind !== 'digits');
    if (digitGroups.length === 1 && letterTokens.length === 0) {
      return fail(
        'plate.code_missing',
        `The plate ${digitGroups[0]} has no code; write it as code-number, e.g. 13-20697.`,
        `اللوحة ${digitGroups[0]} بلا رمز؛ اكتبها بالشكل رمز-رقم، مثل 13-20697.`,
      );
    }
    let code: string;
    let number: string;
    if (digitGroups.length === 2 && letterTokens.length === 0) {
      const split = splitCodeAndNumber(digitGroups[0]!, digitGroups[1]!, jordan.codeMaxDigits);
      if (!split || split.code === '0') {
        return fail(
          'plate.code_invalid',
          `No valid plate code in ${digitGroups.join('-')}: the code is 1–2 digits (1–99).`,
          `لا يوجد رمز لوحة صحيح في ${digitGroups.join('-')}: الرمز من 1 إلى 2 رقم (1–99).`,
        );
      }
      ({ code, number } = split);
    } else if (digitGroups.length === 1 && letterTokens.length === 1 && tokens.length === 2) {
      code = letterTokens[0]!.text;
      number = digitGroups[0]!;
      if (code.length > jordan.letterCodeMaxLength) {
        return fail(
          'plate.code_invalid',
          `The letter code ${code} is too long: at most ${jordan.letterCodeMaxLength} letters.`,
          `رمز الحروف ${code} طويل: الحد الأقصى ${jordan.letterCodeMaxLength} حروف.`,
        );
      }
    } else {
      return unrecognised(expected, expectedAr);
    }
    const numberError = checkNumber(number, jordan.numberMaxDigits);
    if (numberError) return numberError;
    return ok(`JO:${code}-${number}`, { scheme: 'jo', code, number }, `${code}-${number}`);
  },
};
