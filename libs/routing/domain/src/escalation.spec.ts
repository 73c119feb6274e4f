import type { Priority, StudyRef } from '@triage/contracts';
import { assign } from './assignment';
import {
  acknowledge,
  channelsFor,
  nextEscalation,
  openAlert,
  planEscalation,
  recordNotification,
  type AlertState,
  type EscalationAction,
} from './escalation';
import type { PriorityDecision } from './priority-engine';
import { parseReaders } from './reader.schema';

const T0 = new Date('2026-11-23T10:00:00Z'); // Monday
const SAT = new Date('2026-11-28T10:00:00Z');
const weekdays = { kind: 'weekly', timeZone: 'Europe/London', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' };
const always = { kind: 'on-call', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' };

const READERS = parseReaders([
  { id: 'neo', name: 'Neuro One', subspecialties: ['neuro'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 4 },
  { id: 'nia', name: 'Neuro Two', subspecialties: ['neuro'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 4 },
  { id: 'gen', name: 'General', subspecialties: ['general'], licences: [{ site: 'S1' }], shifts: [always], maxConcurrent: 4 },
  { id: 'boss', name: 'Supervisor', subspecialties: ['general'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 4, supervisor: true },
  { id: 'boss2', name: 'Night Supervisor', subspecialties: ['general'], licences: [{ site: 'S1' }], shifts: [always], maxConcurrent: 4, supervisor: true },
]);

const headCt: StudyRef = {
  studyInstanceUid: '1.2.3',
  modalities: ['CT'],
  bodyPart: 'HEAD',
  patient: {},
  context: { patientClass: 'emergency', orderPriority: 'stat', site: 'S1' },
  receivedAt: T0.toISOString(),
};
const decision = (priority: Priority): PriorityDecision => ({ priority, score: 100, reasons: [{ ruleId: 'x', text: 'x' }], ruleSetVersion: 'v' });
const minutes = (m: number, from = T0) => new Date(from.getTime() + m * 60_000);

function plan(now: Date, priority: Priority = 'critical') {
  const d = decision(priority);
  return planEscalation(headCt, d, assign(headCt, d, READERS, [], now), READERS, [], now);
}

describe('channelsFor', () => {
  it.each<[Priority, string[]]>([
    ['critical', ['worklist', 'hl7-alert', 'pager', 'webhook']],
    ['urgent', ['worklist', 'webhook']],
    ['routine', ['worklist']],
  ])('%s → %j', (p, channels) => expect(channelsFor(p)).toEqual(channels));
});

describe('planEscalation', () => {
  it('chains assigned reader → next qualified reader → supervisor on shift, with deadlines', () => {
    expect(plan(T0)).toEqual([
      { role: 'assigned', readerId: 'neo', ackMinutes: 5 },
      { role: 'next-qualified', readerId: 'nia', ackMinutes: 5 },
      { role: 'supervisor', readerId: 'boss', ackMinutes: 10 },
    ]);
  });

  it('at the weekend starts from the pool with the general reader and calls the supervisor on shift', () => {
    expect(plan(SAT).map((s) => `${s.role}:${s.readerId}`)).toEqual(['next-qualified:gen', 'supervisor:boss2']);
  });

  it('does not escalate Urgent or Routine decisions', () => {
    expect(plan(T0, 'urgent')).toEqual([]);
    expect(plan(T0, 'routine')).toEqual([]);
  });
});

describe('nextEscalation on a controllable clock', () => {
  /** Drives the alert minute by minute as a scheduler would, acting on every notify. */
  function drive(state: AlertState, untilMinute: number, ackAt?: { minute: number; readerId: string }) {
    const log: string[] = [];
    let s = state;
    for (let m = 0; m <= untilMinute; m++) {
      const now = minutes(m);
      if (ackAt && m === ackAt.minute) s = acknowledge(s, ackAt.readerId, now);
      const a: EscalationAction = nextEscalation(s, now);
      if (a.action === 'notify') {
        log.push(`${m}: notify ${a.readerId} (${a.role}) ack by ${a.ackBy.slice(11, 16)}`);
        s = recordNotification(s, a.step, now);
      }
    }
    return { log, state: s };
  }

  it('escalates when nobody acknowledges, then re-pages the supervisor', () => {
    const { log } = drive(openAlert('1.2.3', plan(T0)), 30);
    expect(log).toEqual([
      '0: notify neo (assigned) ack by 10:05',
      '5: notify nia (next-qualified) ack by 10:10',
      '10: notify boss (supervisor) ack by 10:20',
      '20: notify boss (supervisor) ack by 10:30',
      '30: notify boss (supervisor) ack by 10:40',
    ]);
  });

  it('stops once acknowledged', () => {
    const { log, state } = drive(openAlert('1.2.3', plan(T0)), 30, { minute: 7, readerId: 'nia' });
    expect(log).toEqual(['0: notify neo (assigned) ack by 10:05', '5: notify nia (next-qualified) ack by 10:10']);
    expect(nextEscalation(state, minutes(60))).toEqual({ action: 'none', reason: 'acknowledged by nia at 2026-11-23T10:07:00.000Z' });
  });

  it('waits until the deadline of the step last notified', () => {
    const s = recordNotification(openAlert('1.2.3', plan(T0)), 0, T0);
    expect(nextEscalation(s, minutes(4))).toEqual({ action: 'wait', until: '2026-11-23T10:05:00.000Z' });
    expect(nextEscalation(s, minutes(5))).toMatchObject({ action: 'notify', step: 1, readerId: 'nia' });
  });

  it('measures deadlines from the actual notification time, so a late scheduler does not skip steps', () => {
    const s = recordNotification(openAlert('1.2.3', plan(T0)), 0, minutes(12));
    expect(nextEscalation(s, minutes(16))).toMatchObject({ action: 'wait' });
    expect(nextEscalation(s, minutes(17))).toMatchObject({ action: 'notify', readerId: 'nia' });
  });

  it('refuses an acknowledgement from someone not yet notified, and has nothing to do with an empty chain', () => {
    const s = recordNotification(openAlert('1.2.3', plan(T0)), 0, T0);
    expect(() => acknowledge(s, 'boss', T0)).toThrow(/boss has not been notified/);
    expect(nextEscalation(openAlert('1.2.3', []), T0)).toEqual({ action: 'none', reason: 'no one to notify: the chain is empty' });
  });
});
