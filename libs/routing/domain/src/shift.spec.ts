import { parseReaders, type Shift } from './reader.schema';
import { inShift, localTime } from './shift';

const weekly = (days: Array<'mon' | 'tue' | 'fri' | 'sat'>, start: string, end: string, timeZone = 'Europe/London'): Shift => ({ kind: 'weekly', timeZone, days, start, end });

describe('inShift', () => {
  it.each<[string, Shift, string, boolean]>([
    ['inside a day window', weekly(['mon'], '08:00', '18:00'), '2026-11-23T10:00:00Z', true],
    ['at the start minute', weekly(['mon'], '08:00', '18:00'), '2026-11-23T08:00:00Z', true],
    ['at the end minute (exclusive)', weekly(['mon'], '08:00', '18:00'), '2026-11-23T18:00:00Z', false],
    ['on a day not listed', weekly(['tue'], '08:00', '18:00'), '2026-11-23T10:00:00Z', false],
    ['overnight, evening part', weekly(['fri'], '22:00', '06:00'), '2026-11-27T23:30:00Z', true],
    ['overnight, morning after', weekly(['fri'], '22:00', '06:00'), '2026-11-28T05:59:00Z', true],
    ['overnight, morning of the listed day', weekly(['fri'], '22:00', '06:00'), '2026-11-27T05:00:00Z', false],
    // 09:00 in New York is 14:00Z in winter (EST) and 13:00Z in summer (EDT).
    ['New York winter 09:00 local', weekly(['mon'], '09:00', '10:00', 'America/New_York'), '2026-11-23T14:30:00Z', true],
    ['New York summer 09:00 local', weekly(['mon'], '09:00', '10:00', 'America/New_York'), '2026-07-06T13:30:00Z', true],
    ['New York summer, 14:30Z is 10:30 local', weekly(['mon'], '09:00', '10:00', 'America/New_York'), '2026-07-06T14:30:00Z', false],
    ['on-call interval', { kind: 'on-call', from: '2026-11-23T00:00:00Z', to: '2026-11-23T12:00:00Z' }, '2026-11-23T11:59:00Z', true],
    ['after on-call', { kind: 'on-call', from: '2026-11-23T00:00:00Z', to: '2026-11-23T12:00:00Z' }, '2026-11-23T12:00:00Z', false],
  ])('%s', (_name, shift, at, expected) => {
    expect(inShift(shift, new Date(at))).toBe(expected);
  });

  it('reads the local weekday across the date line', () => {
    expect(localTime(new Date('2026-11-23T20:00:00Z'), 'Pacific/Auckland')).toEqual({ day: 2, minutes: 9 * 60 });
  });
});

describe('parseReaders', () => {
  const ok = { id: 'r1', name: 'Dr A', subspecialties: ['neuro'], licences: [{ site: 'S1' }], shifts: [], maxConcurrent: 3 };
  it('accepts a reader and defaults supervisor to false', () => {
    expect(parseReaders([ok])[0].supervisor).toBe(false);
  });
  it.each([
    ['unknown time zone', [{ ...ok, shifts: [{ kind: 'weekly', timeZone: 'Mars/Olympus', days: ['mon'], start: '08:00', end: '09:00' }] }], /shifts\.0\.timeZone/],
    ['bad clock time', [{ ...ok, shifts: [{ kind: 'weekly', timeZone: 'UTC', days: ['mon'], start: '8:00', end: '09:00' }] }], /shifts\.0\.start/],
    ['licence with neither site nor jurisdiction', [{ ...ok, licences: [{}] }], /licences\.0/],
    ['unknown subspecialty', [{ ...ok, subspecialties: ['cardiology'] }], /subspecialties\.0/],
    ['duplicate reader ids', [ok, ok], /duplicate reader id r1/],
  ])('rejects %s', (_n, doc, message) => {
    expect(() => parseReaders(doc)).toThrow(message);
  });
});
