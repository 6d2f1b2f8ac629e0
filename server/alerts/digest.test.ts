import { describe, expect, it } from 'vitest';
import { actionCount, type DigestEvents, renderDigest } from './digest.ts';

const zero = { count: 0, amountMinor: '0' };
const quiet: DigestEvents = {
  runId: '7',
  night: '2026-12-05',
  status: 'done',
  currency: 'JOD',
  timeZone: 'Asia/Amman',
  runError: null,
  failedVehicles: 0,
  newViolations: zero,
  escalated: zero,
  outstanding: { count: 3, amountMinor: '45500' },
  horizonDays: 7,
  deadlines: { ...zero, savesMinor: '0', first: [] },
  heldSettlements: 0,
  exceptionsOpened: 0,
  expiring: { ...zero, first: null },
  path: '/runs/7',
};

describe('a digest in words', () => {
  it('puts what to pay first before what changed, and the total last', () => {
    const events: DigestEvents = {
      ...quiet,
      status: 'partial',
      failedVehicles: 2,
      newViolations: { count: 2, amountMinor: '30000' },
      deadlines: {
        count: 1,
        amountMinor: '15000',
        savesMinor: '15000',
        first: [
          {
            plate: 'JO:10-1',
            ticketNumber: 'T1',
            escalatesAt: '2026-12-09T21:00:00Z',
            amountMinor: '15000',
            savesMinor: '15000',
          },
        ],
      },
    };
    expect(actionCount(events)).toBe(3);
    const en = renderDigest({
      kind: 'run',
      events,
      language: 'en',
      accountName: 'Petra',
      baseUrl: 'http://x.test/',
    });
    expect(en.lines).toEqual([
      "The night's run ended partial: 2 vehicles could not be checked.",
      '1 fine escalates within 7 days: pay JOD\u00a015.000 now and save JOD\u00a015.000.',
      '2 new violations: JOD\u00a030.000.',
      'Outstanding now: 3 violations, JOD\u00a045.500.',
    ]);
    expect(en.details).toEqual(['JO:10-1: JOD\u00a015.000 by 10 Dec 2026 (saves JOD\u00a015.000)']);
    expect(en.subject).toBe('Petra: 3 things to act on after the night of 2026-12-05');
    expect(en.link).toBe('http://x.test/runs/7');
    const ar = renderDigest({
      kind: 'run',
      events,
      language: 'ar',
      accountName: 'البتراء',
      baseUrl: 'http://x.test',
    });
    expect(ar.lines[0]).toBe('انتهت عملية الليلة جزئيًا: تعذّر فحص مركبتين.');
    expect(ar.lines[2]).toMatch(/^مخالفتان جديدتان: /);
    expect(ar.html).toContain('<html lang="ar" dir="rtl">');
    expect(ar.text).toContain('افتح: http://x.test/runs/7');
  });

  it('has nothing to act on when nothing happened, and says all clear when asked', () => {
    expect(actionCount(quiet)).toBe(0);
    const clear = renderDigest({
      kind: 'all_clear',
      events: quiet,
      language: 'en',
      accountName: 'Petra',
      baseUrl: '',
    });
    expect(clear.lines).toEqual(['Nothing new tonight. Outstanding: 3 violations, JOD\u00a045.500.']);
  });

  it('escapes what it puts in HTML', () => {
    const html = renderDigest({
      kind: 'run',
      events: { ...quiet, status: 'failed', runError: '<script>' },
      language: 'en',
      accountName: 'A&B',
      baseUrl: '',
    }).html;
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('A&amp;B');
  });
});
