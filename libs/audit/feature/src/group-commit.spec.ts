import type { AuditRepository, RecordInput, RecordResult } from '@triage/audit-data-access';
import { buildThinFlowEnvelopes } from '@triage/audit-data-access';
import { EVENTS } from '@triage/contracts';
import { GroupCommitter } from './group-commit';

/** A store that records calls and fails any transaction holding a poisoned event. */
class FakeStore {
  calls: number[] = [];
  poison = new Set<string>();
  async recordBatch(items: RecordInput[]): Promise<RecordResult[]> {
    this.calls.push(items.length);
    await new Promise((r) => setTimeout(r, 5));
    if (items.some((i) => this.poison.has(i.env.eventId))) throw new Error('value too long');
    return items.map(() => ({ duplicate: false }));
  }
}

const item = (): RecordInput => ({ env: buildThinFlowEnvelopes().priority, topic: EVENTS.priorityDecided.topic });

describe('GroupCommitter', () => {
  it('writes batches handed over during a transaction together in the next one', async () => {
    const store = new FakeStore();
    const committer = new GroupCommitter(store as unknown as AuditRepository, 100);
    const results = await Promise.all([committer.record([item()]), committer.record([item(), item()]), committer.record([item()])]);
    expect(results.map((r) => r.length)).toEqual([1, 2, 1]);
    expect(store.calls).toEqual([1, 3]);
  });

  it('a poisoned batch fails alone; the batches it shared a transaction with are written', async () => {
    const store = new FakeStore();
    const committer = new GroupCommitter(store as unknown as AuditRepository, 100);
    const bad = item();
    store.poison.add(bad.env.eventId);
    const settled = await Promise.allSettled([committer.record([item()]), committer.record([item()]), committer.record([bad]), committer.record([item()])]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(store.calls).toEqual([1, 3, 1, 1, 1]);
  });

  it('refuses an event on the wrong topic before it joins a group', async () => {
    const committer = new GroupCommitter(new FakeStore() as unknown as AuditRepository, 100);
    expect(() => committer.record([{ env: buildThinFlowEnvelopes().priority, topic: EVENTS.reportIssued.topic }])).toThrow(/expected triage.priority.decided.v1/);
  });
});
