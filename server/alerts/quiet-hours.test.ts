import { describe, expect, it } from 'vitest';
import { peopleMayBeAlertedAt } from './quiet-hours.ts';

describe('quiet hours in the account zone', () => {
  const at = (iso: string) => new Date(iso);
  it('let alerts go at once outside them or when none are set', () => {
    expect(peopleMayBeAlertedAt(at('2026-12-05T09:00:00Z'), 'Asia/Amman', null, null)).toEqual(
      at('2026-12-05T09:00:00Z'),
    );
    expect(peopleMayBeAlertedAt(at('2026-12-05T09:00:00Z'), 'Asia/Amman', '22:00', '07:00')).toEqual(
      at('2026-12-05T09:00:00Z'),
    );
  });
  it('hold them to the end of a window that crosses midnight, local time', () => {
    // 23:30 in Amman (UTC+3) → 07:00 the next local morning.
    expect(peopleMayBeAlertedAt(at('2026-12-05T20:30:00Z'), 'Asia/Amman', '22:00', '07:00')).toEqual(
      at('2026-12-06T04:00:00Z'),
    );
    // 02:00 in Cairo (UTC+2 in December) → 07:00 the same local morning.
    expect(peopleMayBeAlertedAt(at('2026-12-05T00:00:00Z'), 'Africa/Cairo', '22:00', '07:00')).toEqual(
      at('2026-12-05T05:00:00Z'),
    );
  });
  it('hold them within a daytime window too', () => {
    expect(peopleMayBeAlertedAt(at('2026-12-05T10:00:00Z'), 'Asia/Baghdad', '12:00', '14:00')).toEqual(
      at('2026-12-05T11:00:00Z'),
    );
  });
});
