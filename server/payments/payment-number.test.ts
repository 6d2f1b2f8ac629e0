import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDigits,
  composePaymentNumber,
  hasValidCheckDigits,
  mod97,
  paymentNumberKinds,
  paymentNumberShape,
  readPaymentNumber,
} from './payment-number.ts';

const seed = 19;
const kind = fc.constantFrom(...paymentNumberKinds);

describe('ISO 7064 MOD 97-10 check digits', () => {
  it('match the IBAN reference example', () => {
    // GB82 WEST 1234 5698 7654 32 → rearranged and letters as numbers, mod 97 is 1.
    expect(mod97('3214282912345698765432161182')).toBe(1);
    expect(checkDigits('32142829123456987654321611')).toBe('82');
  });

  it('make every composed number valid, of its kind and length', () => {
    fc.assert(
      fc.property(
        kind,
        fc.constantFrom('0', '3', '9'),
        fc.bigInt({ min: 0n, max: 99_999_999n }),
        (k, issuer, serial) => {
          const number = composePaymentNumber(k, issuer, serial);
          expect(number).toHaveLength(paymentNumberShape[k].length);
          expect(hasValidCheckDigits(number)).toBe(true);
          const reading = readPaymentNumber(number);
          expect(reading).toEqual({
            ok: true,
            number,
            kind: k,
            issuer: issuer === '9' ? 'product' : 'authority',
          });
        },
      ),
      { seed },
    );
  });

  it('catch every single-digit change', () => {
    fc.assert(
      fc.property(
        kind,
        fc.bigInt({ min: 0n, max: 99_999_999n }),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (k, serial, at, delta) => {
          const number = composePaymentNumber(k, '1', serial);
          const i = at % number.length;
          const changed = `${number.slice(0, i)}${(Number(number[i]) + delta) % 10}${number.slice(i + 1)}`;
          expect(hasValidCheckDigits(changed)).toBe(false);
        },
      ),
      { seed },
    );
  });

  it('catch every swap of two different adjacent digits', () => {
    fc.assert(
      fc.property(kind, fc.bigInt({ min: 0n, max: 99_999_999n }), fc.nat(), (k, serial, at) => {
        const number = composePaymentNumber(k, '2', serial);
        const i = at % (number.length - 1);
        fc.pre(number[i] !== number[i + 1]);
        const swapped = `${number.slice(0, i)}${number[i + 1]}${number[i]}${number.slice(i + 2)}`;
        expect(hasValidCheckDigits(swapped)).toBe(false);
      }),
      { seed },
    );
  });
});

describe('reading a payment number that comes in', () => {
  const number = composePaymentNumber('vehicle', '1', 4242n);
  it('accepts spaces, dashes and Arabic-Indic digits', () => {
    const arabic = number.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    expect(
      readPaymentNumber(` ${number.slice(0, 4)} ${number.slice(4, 8)}-${number.slice(8)} `),
    ).toMatchObject({ ok: true, number });
    expect(readPaymentNumber(arabic)).toMatchObject({ ok: true, number });
  });
  it('names what is wrong', () => {
    expect(readPaymentNumber('12ab')).toEqual({ ok: false, problem: 'not_digits' });
    expect(readPaymentNumber(`7${number.slice(1)}`)).toEqual({ ok: false, problem: 'kind' });
    expect(readPaymentNumber(`${number}0`)).toEqual({ ok: false, problem: 'length' });
    expect(readPaymentNumber(`${number.slice(0, -1)}${(Number(number.at(-1)) + 1) % 10}`)).toEqual({
      ok: false,
      problem: 'check_digits',
    });
  });
});
