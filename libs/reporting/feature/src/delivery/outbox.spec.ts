import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureStudy } from '@triage/test-peers';
import { waitFor } from '@triage/testing';
import { DeliveryOutbox, type AttemptRecord, type AttemptResult, type OutboxJob } from './outbox';

const job = (id: string, createdAt = new Date().toISOString()) => ({
  id,
  channel: 'hl7' as const,
  study: fixtureStudy(1),
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  deliveryId: id,
  messageType: 'ORU^R01',
  body: `MSH|^~\\&|${id}`,
  createdAt,
});

describe('DeliveryOutbox', () => {
  let dir: string;
  let records: AttemptRecord[];
  const policy = { retryBaseMs: 5, retryMaxMs: 20, maxAgeMs: 60_000, maxAttempts: 4 };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    records = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = async (sender: (j: OutboxJob) => Promise<AttemptResult>, p = policy) => {
    const box = new DeliveryOutbox(dir, p, async (r) => void records.push(r));
    await box.open();
    box.register('hl7', sender);
    return box;
  };

  it('delivers in the order queued and ignores a job id it has seen before, also after a restart', async () => {
    const sent: string[] = [];
    let box = await open(async (j) => (sent.push(j.id), { outcome: 'delivered', detail: 'AA' }));
    expect(await box.enqueue(job('a'))).toBe(true);
    expect(await box.enqueue(job('b'))).toBe(true);
    expect(await box.enqueue(job('a'))).toBe(false);
    await waitFor(() => box.counts().done === 2);
    await box.close();
    box = await open(async (j) => (sent.push(j.id), { outcome: 'delivered', detail: 'AA' }));
    expect(await box.enqueue(job('b'))).toBe(false);
    expect(sent).toEqual(['a', 'b']);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual(['a.json', 'b.json']);
    await box.close();
  });

  it('retries with backoff, then dead-letters after the attempt bound with the reason', async () => {
    const box = await open(async () => ({ outcome: 'retry', detail: 'AR' }));
    await box.enqueue(job('c'));
    await waitFor(() => box.counts().dead === 1);
    expect(records.map((r) => r.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'dead-letter']);
    expect(records[3].detail).toBe('4 attempts; last: AR');
    const dead = JSON.parse(readFileSync(join(dir, 'dead', 'c.json'), 'utf8')) as OutboxJob;
    expect(dead.lastDetail).toBe('4 attempts; last: AR');
    await box.close();
  });

  it('dead-letters a job undelivered beyond the age bound, and a non-retryable answer at once', async () => {
    const box = await open(async (j) => (j.id === 'old' ? { outcome: 'retry', detail: 'down' } : { outcome: 'dead-letter', detail: 'AE', privateDetail: 'receiver text' }), {
      ...policy,
      maxAttempts: 1000,
      maxAgeMs: 1_000,
    });
    await box.enqueue(job('old', new Date(Date.now() - 5_000).toISOString()));
    await box.enqueue(job('bad'));
    await waitFor(() => box.counts().dead === 2);
    expect(records.find((r) => r.job.id === 'old')?.detail).toMatch(/^undelivered after 1 s; last: down/);
    expect(records.find((r) => r.job.id === 'bad')).toMatchObject({ attempt: 1, detail: 'AE' });
    expect(JSON.parse(readFileSync(join(dir, 'dead', 'bad.json'), 'utf8')).privateDetail).toBe('receiver text');
    await box.close();
  });

  it('resumes pending jobs after a restart, with their attempt count', async () => {
    let box = await open(async () => ({ outcome: 'retry', detail: 'down' }), { ...policy, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    await box.enqueue(job('d'));
    await waitFor(() => records.length === 1);
    await box.close();
    const box2 = new DeliveryOutbox(dir, policy, async (r) => void records.push(r), () => Date.now() + 120_000);
    await box2.open();
    box2.register('hl7', async () => ({ outcome: 'delivered', detail: 'AA' }));
    box = box2;
    await waitFor(() => box.counts().done === 1);
    expect(records.at(-1)).toMatchObject({ attempt: 2, outcome: 'delivered' });
    await box.close();
  });

  it('forgets delivered jobs older than the retention when it opens', async () => {
    const box = await open(async () => ({ outcome: 'delivered', detail: 'AA' }));
    await box.enqueue(job('e'));
    await waitFor(() => box.counts().done === 1);
    await box.close();
    const later = new DeliveryOutbox(dir, { ...policy, doneRetentionMs: 1_000 }, async () => undefined, () => Date.now() + 10_000);
    await later.open();
    expect(later.counts().done).toBe(0);
    expect(readdirSync(join(dir, 'done'))).toEqual([]);
  });
});
