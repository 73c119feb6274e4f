import type { Reader, Shift } from './reader.schema';
import { WEEKDAYS } from './reader.schema';

interface LocalTime {
  day: number; // 0 = Sunday
  minutes: number; // minutes since local midnight
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of day of `at` in an IANA time zone (DST handled by Intl). */
export function localTime(at: Date, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  const day = WEEKDAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3) as (typeof WEEKDAYS)[number]);
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `at` falls inside the shift. */
export function inShift(shift: Shift, at: Date): boolean {
  if (shift.kind === 'on-call') return new Date(shift.from) <= at && at < new Date(shift.to);
  const { day, minutes } = localTime(at, shift.timeZone);
  const start = toMinutes(shift.start);
  const end = toMinutes(shift.end);
  const startsOn = (d: number) => shift.days.includes(WEEKDAYS[(d + 7) % 7]);
  if (start < end) return startsOn(day) && minutes >= start && minutes < end;
  // Overnight window: the evening part on a listed day, the morning part on the day after one.
  return (startsOn(day) && minutes >= start) || (startsOn(day - 1) && minutes < end);
}

/** Whether the reader has any shift or on-call interval covering `at`. */
export function onShift(reader: Reader, at: Date): boolean {
  return reader.shifts.some((s) => inShift(s, at));
}
