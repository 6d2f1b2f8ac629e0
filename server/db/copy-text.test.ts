import { describe, expect, it } from 'vitest';
import { copyLine } from './copy-text.ts';

describe('copyLine', () => {
  it('writes COPY text: tabs between values, \\N for null, escapes for what would break the format', () => {
    expect(copyLine(['a', 1, null, undefined, ''])).toBe('a\t1\t\\N\t\\N\t\n');
    expect(copyLine(['tab\there', 'line\nbreak\r', 'back\\slash', '\\N'])).toBe(
      'tab\\there\tline\\nbreak\\r\tback\\\\slash\t\\\\N\n',
    );
    expect(copyLine(['مرسيدس أكتروس', '{"a":"b\\"c"}'])).toBe('مرسيدس أكتروس\t{"a":"b\\\\"c"}\n');
  });
});
