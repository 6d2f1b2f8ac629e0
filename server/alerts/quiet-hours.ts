import { DateTime } from 'luxon';

/**
 * When email and SMS may go out: `now`, or the end of the account's quiet hours when now falls
 * inside them (local `HH:MM` times in the account's zone; a window may cross midnight). Pure.
 */
export function peopleMayBeAlertedAt(
  now: Date,
  timeZone: string,
  quietStart: string | null,
  quietEnd: string | null,
): Date {
  if (!quietStart || !quietEnd || quietStart === quietEnd) return now;
  const local = DateTime.fromJSDate(now, { zone: timeZone });
  const at = (hhmm: string, day: DateTime) => {
    const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
    return day.set({ hour, minute, second: 0, millisecond: 0 });
  };
  const minutes = local.hour * 60 + local.minute;
  const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const start = toMinutes(quietStart);
  const end = toMinutes(quietEnd);
  const crossesMidnight = start > end;
  const inside = crossesMidnight ? minutes >= start || minutes < end : minutes >= start && minutes < end;
  if (!inside) return now;
  const endDay = crossesMidnight && minutes >= start ? local.plus({ days: 1 }) : local;
  return at(quietEnd, endDay).toJSDate();
}
