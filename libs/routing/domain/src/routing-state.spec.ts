import type { StudyRef } from '@triage/contracts';
import type { PriorityDecision } from './priority-engine';
import { RoutingState, type JournalRecord } from './routing-state';

const study = (uid: string, receivedAt: string): StudyRef => ({ studyInstanceUid: uid, modalities: ['CT'], bodyPart: 'HEAD', patient: {}, context: { patientClass: 'emergency', orderPriority: 'stat', site: 'S1' }, receivedAt });
const decision = (priority: PriorityDecision['priority'], score: number): PriorityDecision => ({ priority, score, reasons: [{ ruleId: 'r', text: 'r' }], ruleSetVersion: 'v1' });
const decided = (uid: string, receivedAt: string, d: PriorityDecision, inputEventId = `e-${uid}`): JournalRecord => ({
  t: 'decided', inputEventId, traceId: 't', study: study(uid, receivedAt), runs: [], decision: d, aiDecision: d, silent: false, pool: 'general', at: receivedAt,
});

describe('RoutingState replay', () => {
  const records: JournalRecord[] = [
    decided('1.1', '2026-11-23T08:00:00Z', decision('routine', 0)),
    decided('1.2', '2026-11-23T09:00:00Z', decision('routine', 0)),
    decided('1.3', '2026-11-23T10:00:00Z', decision('critical', 100)),
    { t: 'hold', claim: { studyInstanceUid: '1.3', readerId: 'neo', claimedAt: '2026-11-23T10:00:00Z', expiresAt: '2026-11-23T10:30:00Z', weight: 2 }, kind: 'assigned', reasons: [{ ruleId: 'assign-workload', text: 'w' }] },
    { t: 'rescored', uid: '1.2', decision: decision('urgent', 0), at: '2026-11-24T10:00:00Z' },
    { t: 'hold', claim: { studyInstanceUid: '1.1', readerId: 'gen', claimedAt: '2026-11-23T10:00:00Z', expiresAt: '2026-11-23T10:30:00Z', weight: 2 }, kind: 'claimed', reasons: [] },
    { t: 'unhold', uid: '1.1', action: 'released' },
    { t: 'signed', uid: '1.3', read: { readId: 'r1', status: 'final', readerId: 'neo', signedAt: '2026-11-23T10:10:00Z' } },
    { t: 'outbox', item: { id: 'o1', kind: 'webhook', target: 'priority', url: 'http://127.0.0.1:1/', eventType: 'priority.changed', body: '{}' } },
    { t: 'outbox', item: { id: 'o2', kind: 'webhook', target: 'priority', url: 'http://127.0.0.1:1/', eventType: 'priority.changed', body: '{}' } },
    { t: 'outbox-done', id: 'o1', outcome: 'sent' },
  ];

  it('rebuilds the worklist, holds, reads and outbox from the records', () => {
    const s = new RoutingState();
    for (const r of records) s.apply(r);
    expect(s.worklist.list().map((r) => [r.studyInstanceUid, r.priority, r.holder?.readerId])).toEqual([
      ['1.2', 'urgent', undefined],
      ['1.1', 'routine', undefined],
    ]);
    expect(s.studies.get('1.3')?.reads).toEqual([{ readId: 'r1', status: 'final', readerId: 'neo', signedAt: '2026-11-23T10:10:00Z' }]);
    expect(s.studies.get('1.3')?.assignmentReasons).toEqual([{ ruleId: 'assign-workload', text: 'w' }]);
    expect(s.holds()).toEqual([]);
    expect([...s.outbox.keys()]).toEqual(['o2']);
    expect(s.handled.has('e-1.1')).toBe(true);
  });

  it('an alert is open until acknowledged', () => {
    const s = new RoutingState();
    s.apply(decided('1.3', '2026-11-23T10:00:00Z', decision('critical', 100)));
    s.apply({ t: 'alert-opened', alert: { alertId: 'a1', studyInstanceUid: '1.3', traceId: 't', steps: [{ role: 'assigned', readerId: 'neo', ackMinutes: 5 }], notifiedAt: [], findings: [], raisedAt: '2026-11-23T10:00:00Z', repeats: 0 } });
    s.apply({ t: 'alert-notified', alertId: 'a1', step: 0, at: '2026-11-23T10:00:00Z', repeat: false });
    expect(s.openAlertOf('1.3')?.notifiedAt).toEqual(['2026-11-23T10:00:00Z']);
    s.apply({ t: 'alert-acknowledged', alertId: 'a1', readerId: 'neo', at: '2026-11-23T10:01:00Z' });
    expect(s.openAlertOf('1.3')).toBeUndefined();
    expect(s.alerts.get('a1')?.acknowledged).toEqual({ readerId: 'neo', at: '2026-11-23T10:01:00Z' });
  });

  it('a snapshot rebuilds the same state, and leaves out studies signed before the retention cut-off', () => {
    const s = new RoutingState();
    for (const r of records) s.apply(r);
    s.apply({ t: 'alert-opened', alert: { alertId: 'a1', studyInstanceUid: '1.2', traceId: 't', steps: [{ role: 'assigned', readerId: 'neo', ackMinutes: 5 }], notifiedAt: ['2026-11-23T10:00:00Z'], findings: [], raisedAt: '2026-11-23T10:00:00Z', repeats: 0 } });
    const replay = (recs: JournalRecord[]) => {
      const x = new RoutingState();
      for (const r of recs) x.apply(r);
      return x;
    };
    const copy = replay(s.snapshot());
    expect(copy.worklist.list()).toEqual(s.worklist.list());
    expect([...copy.studies.entries()]).toEqual([...s.studies.entries()]);
    expect([...copy.alerts.entries()]).toEqual([...s.alerts.entries()]);
    expect([...copy.outbox.entries()]).toEqual([...s.outbox.entries()]);
    expect([...copy.handled.entries()]).toEqual([...s.handled.entries()]);

    const kept = replay(s.snapshot(new Date('2026-11-24T00:00:00Z')));
    expect([...kept.studies.keys()]).toEqual(['1.1', '1.2']);
    expect(kept.handled.has('e-1.3')).toBe(false);
    expect([...kept.alerts.keys()]).toEqual(['a1']);
  });
});
