/**
 * Routing: rule decisions per second, and worklist query latency (p50/p99) with 10,000 open studies, each
 * beside an anchor in the same run.
 *
 *   node -r @swc-node/register bench/routing.bench.ts [--studies 10000] [--decisions 200000] [--queries 2000]
 *
 * 1. Decisions: decidePriority (the shipped rule set: 4 rules, context + finding matching, reasons text)
 *    against a hand-written if/else that gives the same priorities and scores without reasons (the floor
 *    of any rule engine). Checked equal on every study before timing.
 * 2. Worklist query (domain): the sorted index's "pool general, first 100" against the anchor a naive
 *    service runs per request: a plain sort of the same 10,000 rows with the same comparator, then 100.
 * 3. Worklist query (service): GET /worklist?pool=general&limit=100 on the running routing service
 *    (journal replayed with 10,000 open studies) against GET /health/live on the same server (HTTP floor).
 */
import 'reflect-metadata';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, InferenceRun, Priority, StudyRef } from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { bootstrapMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { compareWorklist, decidePriority, DEFAULT_RULE_SET, RoutingState, type JournalRecord, type WorklistRow } from '@triage/routing-domain';
import { RoutingFeatureModule } from '@triage/routing-feature';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const STUDIES = arg('studies', 10_000);
const DECISIONS = arg('decisions', 200_000);
const QUERIES = arg('queries', 2_000);
const NOW = new Date('2026-11-23T10:00:00Z');

let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];

function makeStudy(i: number): { study: StudyRef; runs: InferenceRun[] } {
  const head = rnd() < 0.4;
  const study: StudyRef = {
    studyInstanceUid: `2.25.9${String(i).padStart(8, '0')}`,
    accessionNumber: `B${i}`,
    modalities: [head ? 'CT' : 'DX'],
    bodyPart: head ? 'HEAD' : 'CHEST',
    patient: { id: `P${i}`, birthDate: '1960-01-01' },
    context: { patientClass: pick(['emergency', 'inpatient', 'outpatient'] as const), orderPriority: pick(['stat', 'routine', 'routine', 'routine'] as const), site: 'DEMO' },
    receivedAt: new Date(NOW.getTime() - Math.floor(rnd() * 600) * 60_000).toISOString(),
  };
  const p = rnd();
  const finding: Finding = { label: head ? 'hyperdensity' : 'nodule', kind: 'finding', code: { system: 'http://radelement.org', code: 'RDE1', display: head ? 'Intracranial hemorrhage' : 'Lung nodule' }, probability: p, threshold: 0.5, positive: p >= 0.5, critical: head };
  const runs: InferenceRun[] = [{ modelId: head ? 'head-ct' : 'cxr', modelVersion: '1.0.0', modelSha256: 'a'.repeat(64), mode: 'active', status: 'succeeded', startedAt: NOW.toISOString(), latencyMs: 5, findings: [finding] }];
  return { study, runs };
}

/** The anchor: the shipped rule set written by hand (priority and score only). */
function handWritten(study: StudyRef, runs: InferenceRun[]): { priority: Priority; score: number } {
  let priority: Priority | undefined;
  let score = 0;
  const raise = (p: Priority, s: number) => {
    const rank = { routine: 0, urgent: 1, critical: 2 };
    if (priority === undefined || rank[p] > rank[priority]) priority = p;
    score += s;
  };
  for (const r of runs) if (r.mode === 'active' && r.status === 'succeeded') for (const f of r.findings) if (f.positive && f.kind === 'finding') raise(f.critical ? 'critical' : 'urgent', f.critical ? 100 : 40);
  if (study.context.orderPriority === 'stat') raise('urgent', 60);
  if (study.context.patientClass === 'emergency') raise('urgent', 50);
  return priority === undefined ? { priority: 'routine', score: 0 } : { priority, score };
}

function rate(label: string, n: number, work: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 5_000); i++) work(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) work(i);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = n / s;
  console.log(`  ${label.padEnd(34)} ${Math.round(r).toLocaleString('en-US').padStart(12)} /s`);
  return r;
}

function percentiles(label: string, samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const res = { p50: at(0.5), p99: at(0.99) };
  console.log(`  ${label.padEnd(34)} p50 ${res.p50.toFixed(3).padStart(8)} ms   p99 ${res.p99.toFixed(3).padStart(8)} ms`);
  return res;
}

function time(work: () => unknown): number {
  const t0 = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function timeAsync(work: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const inputs = Array.from({ length: STUDIES }, (_, i) => makeStudy(i));
  for (const { study, runs } of inputs) {
    const a = decidePriority(DEFAULT_RULE_SET, study, runs, NOW);
    const b = handWritten(study, runs);
    if (a.priority !== b.priority || a.score !== b.score) throw new Error(`anchor disagrees on ${study.studyInstanceUid}`);
  }
  console.log(`routing bench: ${STUDIES} studies, node ${process.version}`);
  console.log('1. rule decisions');
  const ours = rate('decidePriority (rule set, reasons)', DECISIONS, (i) => decidePriority(DEFAULT_RULE_SET, inputs[i % STUDIES].study, inputs[i % STUDIES].runs, NOW));
  const anchor = rate('anchor: hand-written if/else', DECISIONS, (i) => handWritten(inputs[i % STUDIES].study, inputs[i % STUDIES].runs));
  console.log(`  ratio ours/anchor: ${(ours / anchor).toFixed(3)}`);

  const records: JournalRecord[] = inputs.map(({ study, runs }, i) => {
    const decision = decidePriority(DEFAULT_RULE_SET, study, runs, NOW);
    return { t: 'decided', inputEventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, traceId: 'b'.repeat(32), study, runs, decision, aiDecision: decision, silent: false, pool: 'general', at: NOW.toISOString() };
  });
  const state = new RoutingState();
  for (const r of records) state.apply(r);
  const rows: WorklistRow[] = state.worklist.list();
  const pool = (r: WorklistRow) => r.holder === undefined && r.pool === 'general';
  const a = state.worklist.list(pool, 100).map((r) => r.studyInstanceUid).join();
  const b = [...rows].sort(compareWorklist).filter(pool).slice(0, 100).map((r) => r.studyInstanceUid).join();
  if (a !== b) throw new Error('the sorted index and the plain sort disagree');
  console.log(`2. worklist query, domain (${state.worklist.size} open studies, first 100 of the pool)`);
  const idx = percentiles('sorted index scan', Array.from({ length: QUERIES }, () => time(() => state.worklist.list(pool, 100))));
  const srt = percentiles('anchor: plain sort per query', Array.from({ length: QUERIES }, () => time(() => [...rows].sort(compareWorklist).filter(pool).slice(0, 100))));
  console.log(`  ratio anchor/ours (the index is this many times faster) p50: ${(srt.p50 / idx.p50).toFixed(1)}, p99: ${(srt.p99 / idx.p99).toFixed(1)}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'routing-bench-'));
  mkdirSync(join(dataDir, 'routing'), { recursive: true });
  writeFileSync(join(dataDir, 'routing', 'journal.jsonl'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const logger = createLogger({ service: 'routing', level: 'warn' });
  const mesh = await bootstrapMesh({
    services: ['routing'],
    modules: () => [RoutingFeatureModule.forRoot({ env: { ROUTING_TICK_MS: '600000' }, clock: () => NOW })],
    defaultPort: 0,
    env: { DATA_DIR: dataDir, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', LOG_LEVEL: 'warn' },
    bus: new InProcessEventBus(logger),
    logger,
  });
  try {
    const get = async (path: string) => {
      const res = await fetch(`${mesh.url}${path}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    };
    for (let i = 0; i < 200; i++) await get('/worklist?pool=general&limit=100');
    const http = [];
    const floor = [];
    for (let i = 0; i < QUERIES / 4; i++) {
      http.push(await timeAsync(() => get('/worklist?pool=general&limit=100')));
      floor.push(await timeAsync(() => get('/health/live')));
    }
    console.log('3. worklist query, service (HTTP, 100 items per answer)');
    const h = percentiles('GET /worklist?pool=general', http);
    const f = percentiles('anchor: GET /health/live', floor);
    console.log(`  ratio ours/anchor p50: ${(h.p50 / f.p50).toFixed(2)}, p99: ${(h.p99 / f.p99).toFixed(2)}`);
  } finally {
    await mesh.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
