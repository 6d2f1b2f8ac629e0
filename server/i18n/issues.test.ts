import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { issueDetails, issueMessageAr, issueSentence, issueText, schemaMessage } from './issues.ts';

const issuesOf = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error!.issues;
const firstIssue = (schema: z.ZodType, value: unknown) => issuesOf(schema, value)[0]!;
const arabic = /[\u0600-\u06ff]/;

/** One real issue of each code the catalogue words (zod no longer raises invalid_element itself). */
const samples: Array<[string, z.core.$ZodIssue]> = [
  ['invalid_type', firstIssue(z.object({ a: z.number() }), { a: 'x' })],
  ['invalid_type (missing)', firstIssue(z.object({ a: z.string() }), {})],
  ['too_small', firstIssue(z.string().min(3), 'x')],
  ['too_big', firstIssue(z.number().max(5), 9)],
  ['invalid_format', firstIssue(z.string().email(), 'x')],
  ['invalid_format (starts_with)', firstIssue(z.string().startsWith('ab'), 'x')],
  ['not_multiple_of', firstIssue(z.number().multipleOf(5), 7)],
  ['unrecognized_keys', firstIssue(z.strictObject({}), { a: 1, b: 2 })],
  ['invalid_union', firstIssue(z.union([z.string(), z.number()]), true)],
  [
    'invalid_union (discriminator)',
    firstIssue(
      z.discriminatedUnion('k', [z.object({ k: z.literal('a') }), z.object({ k: z.literal('b') })]),
      {
        k: 'c',
      },
    ),
  ],
  ['invalid_key', firstIssue(z.record(z.string().regex(/^a/), z.string()), { b: 'x' })],
  [
    'invalid_element',
    { code: 'invalid_element', origin: 'set', key: 1, issues: [], path: [], message: 'Invalid value in set' },
  ],
  ['invalid_value', firstIssue(z.enum(['replace', 'merge']), 'x')],
  [
    'custom',
    firstIssue(
      z.string().refine(() => false),
      'x',
    ),
  ],
];

describe('zod issues in words', () => {
  it.each(samples)('words %s in both languages from the catalogue', (_name, issue) => {
    const en = issueText('en', issue);
    const ar = issueText('ar', issue);
    for (const text of [en, ar]) {
      expect(text).not.toMatch(/[{}]/);
      expect(text.length).toBeGreaterThan(3);
    }
    expect(ar).toMatch(arabic);
  });

  it('covers every issue code zod has', () => {
    const codes: Array<z.core.$ZodIssue['code']> = [
      'invalid_type',
      'too_small',
      'too_big',
      'invalid_format',
      'not_multiple_of',
      'unrecognized_keys',
      'invalid_union',
      'invalid_key',
      'invalid_element',
      'invalid_value',
      'custom',
    ];
    expect(new Set(samples.map(([, issue]) => issue.code))).toEqual(new Set(codes));
  });

  it('says what each code means, with the field, the bounds and the values', () => {
    const word = (schema: z.ZodType, value: unknown) => issueMessageAr(firstIssue(schema, value));
    expect(word(z.object({ name: z.string() }), {})).toBe('الحقل «name»: مطلوب');
    expect(word(z.object({ a: z.object({ b: z.number() }) }), { a: { b: 'x' } })).toBe(
      'الحقل «a.b»: يجب أن تكون القيمة رقماً',
    );
    expect(word(z.object({}).strict(), { x: 1 })).toBe('الطلب: حقل غير معروف: "x"');
    expect(word(z.enum(['replace', 'merge']), 'x')).toBe('الطلب: يجب أن تكون القيمة "replace" أو "merge"');
    expect(word(z.number().int().min(1), 0)).toBe('الطلب: يجب ألا تقل القيمة عن 1');
    expect(word(z.number().positive(), 0)).toBe('الطلب: يجب أن تكون القيمة أكبر من 0');
    // zod's English stays the issue's message; the catalogue's English words the same sentence.
    expect(issueSentence(firstIssue(z.number().positive(), 0))).toEqual({
      en: 'Too small: expected number to be >0',
      ar: 'يجب أن تكون القيمة أكبر من 0',
    });
    expect(issueText('en', firstIssue(z.number().positive(), 0))).toBe('must be more than 0');
  });

  it('agrees counted bounds in all six Arabic plural forms', () => {
    const atLeast = (min: number) => issueText('ar', firstIssue(z.string().min(min), ''));
    expect([1, 2, 3, 11, 100].map(atLeast)).toEqual([
      'يجب أن يكون فيها حرف واحد على الأقل',
      'يجب أن يكون فيها حرفان على الأقل',
      'يجب أن يكون فيها 3 أحرف على الأقل',
      'يجب أن يكون فيها 11 حرفاً على الأقل',
      'يجب أن يكون فيها 100 حرف على الأقل',
    ]);
    expect(issueText('ar', firstIssue(z.array(z.number()).max(1), [1, 2]))).toBe(
      'يجب أن يكون فيها عنصر واحد على الأكثر',
    );
    expect(issueText('ar', firstIssue(z.array(z.number()).length(2), []))).toBe(
      'يجب أن يكون فيها عنصران بالضبط',
    );
    const keys = issueText('ar', firstIssue(z.strictObject({}), { a: 1, b: 2, c: 3 }));
    expect(keys).toBe('3 حقول غير معروفة: "a" و"b" و"c"');
    expect(issueText('ar', firstIssue(z.strictObject({}), { a: 1, b: 2 }))).toBe(
      'حقلان غير معروفين: "a" و"b"',
    );
  });

  it("words a schema's own message by its catalogue key, in English as zod reports it", () => {
    const schema = z.object({
      horizonDays: z.number().min(1, schemaMessage('requests.days_at_least', { count: 1 })),
    });
    const [detail] = issueDetails(issuesOf(schema, { horizonDays: 0 }));
    expect(detail).toEqual({
      path: 'horizonDays',
      message: 'at least 1 day',
      code: 'too_small',
      messageAr: 'الحقل «horizonDays»: يوم واحد على الأقل',
    });
  });

  it("puts a lone field's name in front of its paths", () => {
    const [detail] = issueDetails(issuesOf(z.enum(['true', 'false']), 'yes'), 'coversAllPlates');
    expect(detail).toMatchObject({ path: 'coversAllPlates', code: 'invalid_value' });
    expect(detail!.messageAr).toBe('الحقل «coversAllPlates»: يجب أن تكون القيمة "true" أو "false"');
  });
});
