import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { localCellDate, localDateText, localDateTimeText } from './format.ts';

/** What luxon answers for each moment, one `Intl` lookup per moment. */
const luxonCellDate = (at: Date, zone: string) =>
  DateTime.fromJSDate(at, { zone }).setZone('UTC', { keepLocalTime: true }).toJSDate();

const zones = ['Asia/Amman', 'Africa/Cairo', 'Asia/Baghdad', 'Asia/Kathmandu', 'America/St_Johns', 'UTC'];

describe('local times', () => {
  it('agree with luxon minute by minute around changes of offset', () => {
    // Amman's last summer time (2022) and the day it ended; Cairo's return to summer time (2023);
    // Baghdad's last change (2007); a half-hour zone's change.
    const windows = ['2021-03-25T18:00Z', '2021-10-28T18:00Z', '2023-04-27T18:00Z', '2007-09-30T20:00Z'];
    for (const zone of zones) {
      for (const start of windows) {
        const from = Date.parse(start);
        for (let at = from; at < from + 12 * 3_600_000; at += 60_000 + 997) {
          const moment = new Date(at);
          expect(localCellDate(moment, zone).getTime(), `${zone} ${moment.toISOString()}`).toBe(
            luxonCellDate(moment, zone).getTime(),
          );
        }
      }
    }
  });

  it('agree with luxon over years of scattered moments', () => {
    let seed = 20;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 1_500; i++) {
      const moment = new Date(Date.UTC(1990, 0, 1) + Math.floor(next() * 40 * 365.25 * 86_400_000));
      for (const zone of zones) {
        expect(localCellDate(moment, zone).getTime()).toBe(luxonCellDate(moment, zone).getTime());
        expect(localDateTimeText(moment, zone)).toBe(
          DateTime.fromJSDate(moment, { zone }).toFormat('yyyy-MM-dd HH:mm'),
        );
        expect(localDateText(moment, zone)).toBe(
          DateTime.fromJSDate(moment, { zone }).toFormat('yyyy-MM-dd'),
        );
      }
    }
  });
});
