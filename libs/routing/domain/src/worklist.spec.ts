import type { Priority } from '@triage/contracts';
import { compareWorklist, SortedWorklist, type WorklistKey } from './worklist';

const row = (uid: string, priority: Priority, score: number, receivedAt: string): WorklistKey => ({ studyInstanceUid: uid, priority, score, receivedAt });

describe('worklist order', () => {
  const rows = [
    row('1.1', 'routine', 0, '2026-11-23T08:00:00Z'),
    row('1.2', 'urgent', 50, '2026-11-23T09:00:00Z'),
    row('1.3', 'critical', 100, '2026-11-23T10:00:00Z'),
    row('1.4', 'urgent', 60, '2026-11-23T09:30:00Z'),
    row('1.5', 'urgent', 50, '2026-11-23T08:30:00Z'),
    row('1.6', 'routine', 0, '2026-11-23T07:00:00Z'),
  ];
  const expected = ['1.3', '1.4', '1.5', '1.2', '1.6', '1.1'];

  it('is priority, then score, then age', () => {
    expect([...rows].sort(compareWorklist).map((r) => r.studyInstanceUid)).toEqual(expected);
  });

  it('the sorted index agrees with a plain sort after inserts, moves and removals', () => {
    const w = new SortedWorklist<WorklistKey>();
    for (const r of rows) w.upsert(r);
    expect(w.list().map((r) => r.studyInstanceUid)).toEqual(expected);
    w.upsert({ ...rows[0], priority: 'critical', score: 100 }); // 1.1 promoted, older than 1.3
    expect(w.list().map((r) => r.studyInstanceUid)).toEqual(['1.1', '1.3', '1.4', '1.5', '1.2', '1.6']);
    expect(w.remove('1.4')).toBe(true);
    expect(w.remove('1.4')).toBe(false);
    expect(w.size).toBe(5);
    expect(w.list((r) => r.priority === 'urgent').map((r) => r.studyInstanceUid)).toEqual(['1.5', '1.2']);
    expect(w.list(undefined, 2).map((r) => r.studyInstanceUid)).toEqual(['1.1', '1.3']);
  });

  it('keeps a random sequence of upserts in the order a full sort gives', () => {
    const w = new SortedWorklist<WorklistKey>();
    const all = new Map<string, WorklistKey>();
    const prios: Priority[] = ['routine', 'urgent', 'critical'];
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let i = 0; i < 500; i++) {
      const r = row(`2.${rnd(120)}`, prios[rnd(3)], rnd(5) * 10, new Date(Date.UTC(2026, 10, 23, 0, rnd(600))).toISOString());
      all.set(r.studyInstanceUid, r);
      w.upsert(r);
    }
    expect(w.list()).toEqual([...all.values()].sort(compareWorklist));
  });
});
