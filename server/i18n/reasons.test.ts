import { parse, TYPE } from '@formatjs/icu-messageformat-parser';
import { describe, expect, it } from 'vitest';
import { loadCatalogs, message } from './messages.ts';
import { type ReasonFamily, readReason, reasonAr, reasonText, reasonWords } from './reasons.ts';

const catalogs = loadCatalogs();
const codes = [...catalogs.en.keys()].filter((k) => k.startsWith('reasons.')).map((k) => k.slice(8));
const familyOf = (code: string) => code.slice(0, code.indexOf('.')) as ReasonFamily;
const slotsOf = (code: string) =>
  [...catalogs.en.get(`reasons.${code}`)!.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** A value for each slot: digits where the Arabic counts, a reason of the family where one nests. */
function sampleValues(code: string): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  const numeric = new Set(
    parse(catalogs.ar.get(`reasons.${code}`)!).flatMap((e) =>
      e.type === TYPE.number || e.type === TYPE.plural ? [e.value] : [],
    ),
  );
  for (const slot of slotsOf(code)) {
    if (numeric.has(slot)) values[slot] = 503;
    else if (slot === 'reason') values[slot] = reasonText(nested[familyOf(code)]);
    else if (slot === 'kind') values[slot] = 'vehicle';
    else if (slot === 'detail') values[slot] = 'x: "a" (b); HTTP 503';
    else if (slot === 'text') values[slot] = JSON.stringify('JO:13 "a" (b)');
    else values[slot] = `JO:13-${slot}`;
  }
  return values;
}
const nested: Record<ReasonFamily, string> = {
  lookup: 'lookup.missing_from_partial',
  issuance: 'issuance.set_left_out',
  delivery: 'delivery.timeout',
  run: 'run.reconcile_gave_up_all',
};

describe('stored reasons', () => {
  it('are plain English templates that ICU words the same way', () => {
    expect(codes.length).toBeGreaterThan(30);
    for (const code of codes) {
      const elements = parse(catalogs.en.get(`reasons.${code}`)!);
      expect(
        elements.every((e) => e.type === TYPE.literal || e.type === TYPE.argument),
        code,
      ).toBe(true);
      const values = sampleValues(code);
      const asStrings = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
      expect(message('en', `reasons.${code}`, asStrings), code).toBe(reasonText(code, values));
    }
  });

  it('round-trip: each code and its values are recognised from the text it makes, and worded in Arabic', () => {
    for (const code of codes) {
      const values = sampleValues(code);
      const text = reasonText(code, values);
      const read = readReason(familyOf(code), text);
      expect(read, `${code}: ${text}`).toEqual({
        code,
        values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])),
      });
      expect(reasonWords('en', familyOf(code), text)).toBe(text);
      const arabic = reasonWords('ar', familyOf(code), text);
      expect(arabic, code).toMatch(/[\u0600-\u06FF]/);
      if ('reason' in values) expect(arabic, code).not.toContain(String(values.reason));
    }
  });

  it('word the reasons the producers store', () => {
    expect(reasonAr('lookup', 'plate not covered by the export')).toBe('اللوحة غير مشمولة في الملف المصدَّر');
    expect(reasonAr('lookup', 'HTTP 503')).toBe('أجاب خادم الجهة بالرمز HTTP 503');
    expect(reasonAr('lookup', 'HTTP 429 rate limited; Retry-After 90000 ms is beyond 60000 ms')).toBe(
      'HTTP 429: تجاوز حدّ الطلبات لدى الجهة؛ طلبت الجهة الانتظار 90,000 ملّي ثانية وهذا أكثر من الحدّ (60,000 ملّي ثانية)',
    );
    expect(reasonAr('lookup', 'authority error E42: plate: blocked')).toBe(
      'أبلغت الجهة عن الخطأ E42، وجاء في رسالتها: «plate: blocked»',
    );
    expect(reasonAr('issuance', "the authority's issuance call failed: timed out after 15000 ms")).toBe(
      'فشل طلب أرقام الدفع من الجهة: لم تُجب الجهة خلال 15,000 ملّي ثانية',
    );
    expect(reasonAr('delivery', 'fetch failed (ECONNREFUSED)')).toBe('fetch failed (ECONNREFUSED)');
    expect(reasonAr('delivery', 'no answer within the timeout')).toBe('لم يصل جواب خلال المهلة');
    expect(reasonAr('issuance', 'number P-1 is not an authority vehicle number')).toBe(
      'الرقم P-1 ليس رقم دفع صادرًا عن الجهة لمركبة',
    );
  });

  it('count attempts and minutes in their Arabic plural forms', () => {
    expect(reasonAr('run', 'aborted by an owner')).toBe('أوقفها أحد المالكين');
    expect(reasonAr('run', 'not reconciled within 30 minutes of its last answer')).toBe(
      'لم تُطابَق خلال 30 دقيقة من آخر جواب',
    );
    expect(reasonAr('lookup', "not answered within 2 minutes of the run's start")).toBe(
      'لم تُجب الجهة خلال دقيقتين من بدء العملية',
    );
    expect(reasonAr('lookup', 'the lookup batch gave up after 3 attempts: HTTP 503')).toBe(
      'توقفت دفعة الاستعلام بعد 3 محاولات: أجاب خادم الجهة بالرمز HTTP 503',
    );
    expect(reasonAr('lookup', 'the lookup batch gave up after 1 attempt')).toBe(
      'توقفت دفعة الاستعلام بعد محاولة واحدة',
    );
  });

  it("quote an upstream's own words verbatim inside a catalogued sentence", () => {
    expect(reasonAr('lookup', 'HTTP 400: plates: unknown "JO:1"')).toBe(
      'رفضت الجهة الطلب بالرمز HTTP 400، وجاء في جوابها: «plates: unknown "JO:1"»',
    );
    expect(reasonAr('issuance', 'the authority refused the call as too large: max 500 sets')).toBe(
      'رفضت الجهة الطلب لأنه أكبر مما تقبله، وجاء في جوابها: «max 500 sets»',
    );
    expect(reasonAr('delivery', 'the SMS provider answered 402: {"error":"no credit"}')).toBe(
      'أجاب مزوّد الرسائل النصية بالرمز 402، وجاء في جوابه: «{"error":"no credit"}»',
    );
  });

  it("word an authority export's bad rows, nested in where they are, counted in Arabic", () => {
    expect(
      reasonAr(
        'lookup',
        'export row 7, column "amount" (H): "10.0001" is not a JOD amount in major units with at most 3 decimals (e.g. 45.000), without thousands separators',
      ),
    ).toBe(
      'ملف التصدير، الصف 7، العمود "amount" (H): "10.0001" ليس مبلغاً بعملة JOD بالوحدات الكبرى بمنازل عشرية لا تزيد على 3 (مثل 45.000)، ومن غير فواصل آلاف',
    );
    expect(
      reasonAr(
        'lookup',
        'export row 4: the row has 11 cells but the header has 9; a value probably contains an unquoted separator',
      ),
    ).toBe('ملف التصدير، الصف 4: في الصف 11 خلية وفي صف العناوين 9؛ غالباً هناك فاصل غير محاط بعلامات اقتباس');
    expect(reasonAr('lookup', 'export row 3, column "currency" (I): currency EGP, expected JOD for JO')).toBe(
      'ملف التصدير، الصف 3، العمود "currency" (I): العملة EGP، والمتوقع JOD في الأردن',
    );
  });

  it('show a text no template makes as stored', () => {
    expect(reasonAr('lookup', 'something older')).toBe('something older');
    expect(reasonAr('lookup', null)).toBeNull();
    expect(reasonAr('delivery', 'plate not covered by the export')).toBe('plate not covered by the export');
  });
});
