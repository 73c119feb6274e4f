/**
 * Lineage events persisted per second through the audit service, against a raw `pg` multi-row INSERT
 * of the same rows into the same PostgreSQL, side by side in one run.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> node -r @swc-node/register bench/audit-ingest.bench.ts [--studies 1000] [--rounds 3]
 *
 * A scratch database `<db>_bench` is created, migrated with the audit migrations, and dropped at the end.
 * Each study contributes the 11 events of its care pathway (received, updated, inference, priority,
 * preliminary report, assignment, two alert steps, signed read, final report, delivery): every stage table.
 * Ours: the wire messages (pre-encoded, outside the clock) go through the in-process bus into the audit
 * service as it runs (MeshServer batch handler: decode + zod parse, then AuditRepository.recordBatch:
 * sha256 of every envelope, the hash chain under its row lock, Prisma over @prisma/adapter-pg), until
 * the bus is idle. Raw: the rows that run wrote, read back and given new event ids, study UIDs and chain
 * positions, re-inserted with one multi-row INSERT per table per batch (split only past 65,535 bind
 * parameters), one transaction per batch, on one pg connection. The batches are ours: the rows each of
 * our transactions wrote (grouped by xmin), so both sides commit the same rows in the same batch sizes. The ratio is ours / raw time per event.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { buildCarePathwayEnvelopes, buildThinFlowEnvelopes, readMigrations } from '@triage/audit-data-access';
import { AuditFeatureModule } from '@triage/audit-feature';
import { ALL_EVENTS, encodeEnvelope, type Envelope, type WireMessage } from '@triage/contracts';
import { InProcessEventBus } from '@triage/messaging';
import { bootstrapMesh } from '@triage/nest-platform';
import { createLogger } from '@triage/observability';
import { Client } from 'pg';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const STUDIES = arg('studies', 1000);
const ROUNDS = arg('rounds', 3);
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl?.startsWith('postgres')) {
  console.error('set DATABASE_URL to a PostgreSQL database you own; the bench uses <db>_bench beside it');
  process.exit(2);
}
const admin = new URL(baseUrl);
const benchDb = `${admin.pathname.slice(1)}_bench`;
const benchUrl = new URL(baseUrl);
benchUrl.pathname = `/${benchDb}`;

// Parents first: children reference their parent's id (finding -> inference_run, read_verdict -> read).
const TABLES = ['audit_event', 'study', 'study_update', 'inference_run', 'priority_decision', 'report', 'assignment', 'alert_step', 'read', 'delivery'] as const;

function careEvents(n: number): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; i < n; i++) {
    const flow = buildThinFlowEnvelopes();
    const more = buildCarePathwayEnvelopes(flow);
    out.push(flow.received, more.updated, flow.inference, flow.priority, flow.report, more.assigned, more.alertRaised, more.alertAcknowledged, more.read, more.finalReport, more.delivery);
  }
  return out;
}

type Row = Record<string, unknown>;

async function columnTypes(pg: Client): Promise<Map<string, Map<string, string>>> {
  const { rows } = await pg.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) out.set(r.table_name, (out.get(r.table_name) ?? new Map()).set(r.column_name, r.data_type));
  return out;
}

/** The rows our run wrote, re-keyed so they can be inserted again beside the originals. */
async function captureRows(pg: Client, eventIds: string[]) {
  const ids = eventIds.map((e) => e.toLowerCase());
  const rekey = new Map(ids.map((id) => [id, randomUUID()]));
  const uid = (u: unknown) => `${String(u)}.9`;
  const tables = new Map<string, Row[]>();
  for (const t of TABLES) {
    // xmin: the transaction that wrote the row, so the raw side can commit the very same batches.
    const { rows } = await pg.query<Row>(`SELECT *, xmin::text AS _tx FROM "${t}" WHERE event_id = ANY($1::uuid[]) ORDER BY id`, [ids]);
    tables.set(
      t,
      rows.map((r) => ({
        ...r,
        event_id: rekey.get(String(r.event_id)),
        ...('study_instance_uid' in r ? { study_instance_uid: uid(r.study_instance_uid) } : {}),
        ...(t === 'audit_event' ? { subject: uid(r.subject), chain_seq: BigInt(String(r.chain_seq)) + 1_000_000_000n } : {}),
      })),
    );
  }
  const runIds = (tables.get('inference_run') ?? []).map((r) => r.id);
  const readIds = (tables.get('read') ?? []).map((r) => r.id);
  const findings = (await pg.query<Row>(`SELECT * FROM finding WHERE run_id = ANY($1::bigint[]) ORDER BY id`, [runIds])).rows;
  const verdicts = (await pg.query<Row>(`SELECT * FROM read_verdict WHERE read_row_id = ANY($1::bigint[]) ORDER BY id`, [readIds])).rows;
  return { tables, findings, verdicts };
}

function insertSql(table: string, rows: Row[], types: Map<string, string>, returning = ''): [string, unknown[]] {
  const cols = [...types.keys()].filter((c) => c !== 'id');
  const params: unknown[] = [];
  const values = rows.map((r) => `(${cols.map((c) => {
    const v = r[c];
    params.push(types.get(c) === 'jsonb' && v !== null ? JSON.stringify(v) : typeof v === 'bigint' ? v.toString() : v);
    return `$${params.length}`;
  }).join(',')})`);
  return [`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(',')}) VALUES ${values.join(',')}${returning}`, params];
}

/** The audit_event rows grouped by the transaction that wrote them, in chain order: ours' batches. */
function sameBatches(events: Row[]): Row[][] {
  const byTx = new Map<string, Row[]>();
  for (const e of [...events].sort((a, b) => Number(BigInt(String(a.chain_seq)) - BigInt(String(b.chain_seq))))) {
    const tx = String(e._tx);
    byTx.set(tx, [...(byTx.get(tx) ?? []), e]);
  }
  return [...byTx.values()];
}

/** A multi-row INSERT stays under PostgreSQL's 65,535 bind parameters. */
function chunks(rows: Row[], columns: number): Row[][] {
  const per = Math.max(1, Math.floor(65_535 / Math.max(1, columns)));
  const out: Row[][] = [];
  for (let i = 0; i < rows.length; i += per) out.push(rows.slice(i, i + per));
  return out;
}

async function rawInsert(pg: Client, captured: Awaited<ReturnType<typeof captureRows>>, types: Map<string, Map<string, string>>): Promise<{ ms: number; batches: number }> {
  const batches = sameBatches(captured.tables.get('audit_event') ?? []);
  const start = process.hrtime.bigint();
  for (const batch of batches) {
    const batchIds = new Set(batch.map((e) => e.event_id));
    await pg.query('BEGIN');
    const newId = new Map<string, unknown>();
    for (const t of TABLES) {
      const rows = (captured.tables.get(t) ?? []).filter((r) => batchIds.has(r.event_id));
      if (!rows.length) continue;
      const parent = t === 'inference_run' || t === 'read';
      const cols = types.get(t) ?? new Map<string, string>();
      for (const part of chunks(rows, cols.size)) {
        const [sql, params] = insertSql(t, part, cols, parent ? ' RETURNING id' : '');
        const res = await pg.query<{ id: string }>(sql, params);
        if (parent) part.forEach((r, k) => newId.set(`${t}:${String(r.id)}`, res.rows[k].id));
      }
    }
    const findings = captured.findings.filter((f) => newId.has(`inference_run:${String(f.run_id)}`)).map((f) => ({ ...f, run_id: newId.get(`inference_run:${String(f.run_id)}`) }));
    const verdicts = captured.verdicts.filter((v) => newId.has(`read:${String(v.read_row_id)}`)).map((v) => ({ ...v, read_row_id: newId.get(`read:${String(v.read_row_id)}`) }));
    for (const [t, rows] of [['finding', findings], ['read_verdict', verdicts]] as const) {
      const cols = types.get(t) ?? new Map<string, string>();
      for (const part of chunks(rows, cols.size)) await pg.query(...insertSql(t, part, cols));
    }
    await pg.query('COMMIT');
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, batches: batches.length };
}

async function main(): Promise<void> {
  const server = new Client({ connectionString: baseUrl });
  await server.connect();
  await server.query(`DROP DATABASE IF EXISTS "${benchDb}"`);
  await server.query(`CREATE DATABASE "${benchDb}"`);
  const pg = new Client({ connectionString: benchUrl.toString() });
  await pg.connect();
  for (const m of readMigrations()) await pg.query(m.sql);
  const types = await columnTypes(pg);

  const logger = createLogger({ service: 'bench', level: 'silent' });
  const bus = new InProcessEventBus(logger);
  const mesh = await bootstrapMesh({
    services: ['audit'],
    modules: () => [AuditFeatureModule],
    defaultPort: 0,
    bus,
    logger,
    env: { MESH_MODE: 'embedded', DATABASE_URL: benchUrl.toString(), HTTP_PORT: '0', LOG_LEVEL: 'silent', AUDIT_CHECKPOINT_INTERVAL_MS: '0' },
  });
  const topicOf = new Map(ALL_EVENTS.map((e) => [e.type, e.topic]));
  const rows: string[] = [];
  let oursMs = 0;
  let rawMs = 0;
  let total = 0;
  // Round 0 warms up both paths (JIT, connection pools, Prisma's query plans) and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const envs = careEvents(round === 0 ? Math.min(100, STUDIES) : STUDIES);
    const byTopic = new Map<string, WireMessage[]>();
    for (const e of envs) byTopic.set(topicOf.get(e.type) ?? '', [...(byTopic.get(topicOf.get(e.type) ?? '') ?? []), encodeEnvelope(e)]);
    const before = await pg.query<{ n: string }>('SELECT count(*) AS n FROM audit_event');
    const start = process.hrtime.bigint();
    for (const [topic, msgs] of byTopic) await bus.publish(topic, msgs);
    await bus.whenIdle();
    const ours = Number(process.hrtime.bigint() - start) / 1e6;
    const after = await pg.query<{ n: string }>('SELECT count(*) AS n FROM audit_event');
    const persisted = Number(after.rows[0].n) - Number(before.rows[0].n);
    if (persisted !== envs.length) throw new Error(`round ${round}: ${persisted} of ${envs.length} events persisted`);
    const captured = await captureRows(pg, envs.map((e) => e.eventId));
    const { ms: raw, batches } = await rawInsert(pg, captured, types);
    if (round === 0) continue;
    oursMs += ours;
    rawMs += raw;
    total += envs.length;
    rows.push(`round ${round}: ${envs.length} events  ours ${ours.toFixed(0)} ms (${((envs.length / ours) * 1000).toFixed(0)} ev/s)  raw ${raw.toFixed(0)} ms (${((envs.length / raw) * 1000).toFixed(0)} ev/s)  ratio ${(ours / raw).toFixed(2)}  (${batches} transactions each side)`);
  }
  await mesh.close();
  await pg.end();
  await server.query(`DROP DATABASE IF EXISTS "${benchDb}"`);
  await server.end();
  console.log(rows.join('\n'));
  console.log(`ours: ${((total / oursMs) * 1000).toFixed(0)} events/s   raw pg multi-row INSERT: ${((total / rawMs) * 1000).toFixed(0)} events/s   ratio (ours/raw time): ${(oursMs / rawMs).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
