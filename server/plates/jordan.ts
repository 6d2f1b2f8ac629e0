/** Jordanian plates: a numeric code 1–99 or a 1–3 letter code, and a number of 1–6 digits. */
import {
  checkNumber,
  normalisedSet,
  numericValue,
  ok,
  type PlateScheme,
  refuse,
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
      return refuse('plate.code_missing', 'code_missing', { plate: digitGroups[0]! });
    }
    let code: string;
    let number: string;
    if (digitGroups.length === 2 && letterTokens.length === 0) {
      const split = splitCodeAndNumber(digitGroups[0]!, digitGroups[1]!, jordan.codeMaxDigits);
      if (!split || split.code === '0') {
        return refuse('plate.code_invalid', 'code_not_found', { digits: digitGroups.join('-') });
      }
      ({ code, number } = split);
    } else if (digitGroups.length === 1 && letterTokens.length === 1 && tokens.length === 2) {
      code = letterTokens[0]!.text;
      number = digitGroups[0]!;
      if (code.length > jordan.letterCodeMaxLength) {
        return refuse('plate.code_invalid', 'letter_code_too_long', {
          code,
          max: jordan.letterCodeMaxLength,
        });
      }
    } else {
      return unrecognised(expected, expectedAr);
    }
    const numberError = checkNumber(number, jordan.numberMaxDigits);
    if (numberError) return numberError;
    return ok(`JO:${code}-${number}`, { scheme: 'jo', code, number }, `${code}-${number}`);
  },
};
