import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthRegistry } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import type { JournalRecord } from '@triage/routing-domain';
import { loadRoutingOptions } from './routing.options';
import { RoutingStore } from './routing.store';
import { study, T0 } from './routing-test.harness';

const logger = createLogger({ service: 'routing', level: 'silent' });

async function open(dataDir: string, env: Record<string, string> = {}) {
  const health = new HealthRegistry();
  const store = new RoutingStore(loadRoutingOptions(env, { DATA_DIR: dataDir }), logger, health);
  await store.onModuleInit();
  return { store, health };
}

const decided = (i: number): JournalRecord => {
  const s = study('cxr', {}, new Date(T0.getTime() + i * 60_000));
  const decision = { priority: 'routine' as const, score: 0, reasons: [{ ruleId: 'fallback', text: 'x' }], ruleSetVersion: 'v' };
  return { t: 'decided', inputEventId: `e${i}`, traceId: 't', study: s, runs: [], decision, aiDecision: decision, silent: false, pool: 'general', at: s.receivedAt };
};

describe('RoutingStore journal', () => {
  it('compacts past the threshold, leaving out studies signed before the retention, and replays to the same worklist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-store-'));
    const { store, health } = await open(dir, { ROUTING_JOURNAL_COMPACT_LINES: '100', ROUTING_RETENTION_HOURS: '24' });
    const recs = Array.from({ length: 60 }, (_, i) => decided(i));
    await store.exclusive(() => store.commit(recs));
    const uid = (i: number) => (recs[i] as Extract<JournalRecord, { t: 'decided' }>).study.studyInstanceUid;
    // 30 studies signed two days ago (dropped), 10 signed now (kept, off the worklist), 20 open.
    const signed: JournalRecord[] = Array.from({ length: 40 }, (_, i) => ({ t: 'signed', uid: uid(i), read: { readId: `r${i}`, status: 'final', readerId: 'gen', signedAt: new Date(T0.getTime() - (i < 30 ? 48 : 0) * 3_600_000).toISOString() } }));
    await store.exclusive(() => store.commit(signed));
    await store.exclusive(() => store.compactIfDue(T0));
    expect(readFileSync(join(dir, 'routing', 'journal.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30 + 10 + 1); // decided, signed, handled
    expect(store.state.studies.size).toBe(30);
    expect((await health.run()).checks['routing-journal']).toMatchObject({ status: 'ok' });
    const worklist = store.state.worklist.list();
    await store.onModuleDestroy();

    const again = (await open(dir)).store;
    expect(again.state.worklist.list()).toEqual(worklist);
    expect(again.state.worklist.size).toBe(20);
    expect(again.state.handled.has('e0')).toBe(false);
    expect(again.state.handled.has('e35')).toBe(true);
    await again.onModuleDestroy();
  });

  it('cuts off a torn last line and refuses to start on a damaged one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-store-'));
    const { store } = await open(dir);
    await store.exclusive(() => store.commit([decided(1), decided(2)]));
    await store.onModuleDestroy();
    const file = join(dir, 'routing', 'journal.jsonl');
    appendFileSync(file, '{"t":"decided","inputEv');
    const reopened = (await open(dir)).store;
    expect(reopened.state.studies.size).toBe(2);
    expect(readFileSync(file, 'utf8').endsWith('}\n')).toBe(true);
    await reopened.onModuleDestroy();

    // A second replica on the same DATA_DIR refuses to start; a lock left by a dead process is taken over.
    writeFileSync(`${file}.lock`, String(process.ppid));
    await expect(open(dir)).rejects.toThrow(`routing journal ${file} is in use by process ${process.ppid}: routing runs as a single replica per DATA_DIR`);
    for (const stale of ['999999999', String(process.pid)]) {
      writeFileSync(`${file}.lock`, stale);
      await (await open(dir)).store.onModuleDestroy();
    }

    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], '{oops', lines[1], ''].join('\n'));
    await expect(open(dir)).rejects.toThrow(`routing journal ${file} is damaged at line 2; restore it from a backup before starting`);
  });
});
