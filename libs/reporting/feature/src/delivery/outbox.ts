import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { StudyRef } from '@triage/contracts';
import { moveDurably, readJsonFile, safeFileName, writeJsonAtomic } from './durable-file';

export type DeliveryChannel = 'fhir' | 'hl7' | 'webhook';

/** One message to deliver, exactly as it will be sent on every attempt. */
export interface OutboxJob {
  /** Deterministic from the input event: a redelivered event maps to the same job and is not queued twice. */
  id: string;
  channel: DeliveryChannel;
  seq: number;
  study: StudyRef;
  traceId: string;
  /** delivery.recorded deliveryId: the bundle id or MSH-10. */
  deliveryId: string;
  messageType: string;
  /** A FHIR transaction Bundle, HL7 ER7 text, or a webhook request. */
  body: unknown;
  /** Where it goes, when the channel has more than one destination (webhooks). */
  target?: string;
  createdAt: string;
  attempts: number;
  nextAttemptAt: number;
  lastDetail?: string;
}

export type AttemptResult =
  | { outcome: 'delivered'; detail: string }
  | { outcome: 'retry'; detail: string }
  | { outcome: 'dead-letter'; detail: string; /** stored with the dead letter, never logged */ privateDetail?: string };

export interface OutboxPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
  /** Dead-letter a job still undelivered this long after it was queued. */
  maxAgeMs: number;
  maxAttempts: number;
  /** How long delivered job files are kept (they stop a redelivered event from sending twice): longer than the topics' retention. */
  doneRetentionMs?: number;
}

const DEFAULT_DONE_RETENTION_MS = 8 * 24 * 3_600_000;

export interface AttemptRecord {
  job: OutboxJob;
  attempt: number;
  outcome: 'delivered' | 'retrying' | 'dead-letter';
  detail: string;
}

export type Sender = (job: OutboxJob) => Promise<AttemptResult>;

type State = 'pending' | 'done' | 'dead';

/**
 * A durable outbox under one directory: pending/, done/ and dead/ hold one fsync'd JSON file per job.
 * Jobs of a channel are delivered one at a time in the order queued (a final report never overtakes its
 * preliminary); failures back off exponentially with jitter up to retryMaxMs, until the job is delivered
 * or dead-lettered (non-retryable answer, maxAttempts, or maxAgeMs). A restart resumes from the files.
 * Single process: one reporting replica owns a directory.
 */
export class DeliveryOutbox {
  private readonly known = new Map<string, State>();
  private readonly pending = new Map<DeliveryChannel, OutboxJob[]>();
  private readonly senders = new Map<DeliveryChannel, Sender>();
  private readonly loops = new Map<DeliveryChannel, Promise<void>>();
  private readonly wakers = new Map<DeliveryChannel, () => void>();
  private seq = 0;
  private stopped = true;

  constructor(
    private readonly dir: string,
    private readonly policy: OutboxPolicy,
    private readonly onAttempt: (rec: AttemptRecord) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the directory: pending jobs resume, done and dead ids keep redelivered events from re-queuing. */
  async open(): Promise<void> {
    for (const state of ['pending', 'done', 'dead'] as const) {
      let names: string[] = [];
      try {
        names = (await readdir(join(this.dir, state))).filter((n) => n.endsWith('.json'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const name of names) {
        const job = await readJsonFile<OutboxJob>(join(this.dir, state, name));
        if (!job) continue;
        if (state === 'done' && this.expired(job)) {
          await unlink(join(this.dir, state, name)).catch(() => undefined);
          continue;
        }
        this.known.set(job.id, state);
        this.seq = Math.max(this.seq, job.seq);
        if (state === 'pending') this.queue(job.channel).push(job);
      }
    }
    for (const jobs of this.pending.values()) jobs.sort((a, b) => a.seq - b.seq);
  }

  private expired(job: OutboxJob): boolean {
    return this.now() - Date.parse(job.createdAt) > (this.policy.doneRetentionMs ?? DEFAULT_DONE_RETENTION_MS);
  }

  /** Starts a delivery loop for a channel. */
  register(channel: DeliveryChannel, sender: Sender): void {
    this.senders.set(channel, sender);
    this.stopped = false;
    if (!this.loops.has(channel)) this.loops.set(channel, this.loop(channel));
  }

  /** Queues a job durably; returns false when a job with that id was queued before (in any state). */
  async enqueue(job: Omit<OutboxJob, 'seq' | 'attempts' | 'nextAttemptAt'>): Promise<boolean> {
    if (this.known.has(job.id)) return false;
    this.known.set(job.id, 'pending');
    const full: OutboxJob = { ...job, seq: ++this.seq, attempts: 0, nextAttemptAt: 0 };
    try {
      await writeJsonAtomic(this.path('pending', job.id), full);
    } catch (err) {
      this.known.delete(job.id);
      throw err;
    }
    this.queue(job.channel).push(full);
    this.wakers.get(job.channel)?.();
    return true;
  }

  /** Counts per state (for health and tests). */
  counts(): Record<State, number> {
    const out: Record<State, number> = { pending: 0, done: 0, dead: 0 };
    for (const s of this.known.values()) out[s]++;
    return out;
  }

  stateOf(id: string): State | undefined {
    return this.known.get(id);
  }

  /** Stops the loops after their current attempt. Pending jobs stay on disk for the next start. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops.values());
    this.loops.clear();
  }

  private queue(channel: DeliveryChannel): OutboxJob[] {
    let q = this.pending.get(channel);
    if (!q) this.pending.set(channel, (q = []));
    return q;
  }

  private path(state: State, id: string): string {
    return join(this.dir, state, safeFileName(id));
  }

  private sleep(channel: DeliveryChannel, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(channel, done);
    });
  }

  private async loop(channel: DeliveryChannel): Promise<void> {
    while (!this.stopped) {
      const head = this.queue(channel)[0];
      if (!head) {
        await this.sleep(channel, 60_000);
        continue;
      }
      const wait = head.nextAttemptAt - this.now();
      if (wait > 0) {
        await this.sleep(channel, wait);
        continue;
      }
      // A disk error must not end the loop: the job stays pending and is tried again later.
      await this.attempt(channel, head).catch(() => this.sleep(channel, this.policy.retryBaseMs));
    }
  }

  private async attempt(channel: DeliveryChannel, job: OutboxJob): Promise<void> {
    const sender = this.senders.get(channel);
    if (!sender) return;
    job.attempts += 1;
    let result: AttemptResult;
    try {
      result = await sender(job);
    } catch (err) {
      result = { outcome: 'retry', detail: err instanceof Error ? err.message.slice(0, 300) : 'send failed' };
    }
    if (result.outcome === 'retry') {
      const tooOld = this.now() - Date.parse(job.createdAt) >= this.policy.maxAgeMs;
      if (job.attempts >= this.policy.maxAttempts || tooOld) {
        const why = tooOld ? `undelivered after ${Math.round(this.policy.maxAgeMs / 1000)} s` : `${job.attempts} attempts`;
        result = { outcome: 'dead-letter', detail: `${why}; last: ${result.detail}` };
      }
    }
    switch (result.outcome) {
      case 'delivered':
        await moveDurably(this.path('pending', job.id), this.path('done', job.id));
        this.finish(channel, job, 'done');
        break;
      case 'dead-letter':
        await writeJsonAtomic(this.path('dead', job.id), { ...job, lastDetail: result.detail, privateDetail: result.privateDetail, deadAt: new Date(this.now()).toISOString() });
        await unlink(this.path('pending', job.id));
        this.finish(channel, job, 'dead');
        break;
      case 'retry': {
        const backoff = Math.min(this.policy.retryMaxMs, this.policy.retryBaseMs * 2 ** Math.min(job.attempts - 1, 30));
        job.nextAttemptAt = this.now() + Math.round(backoff * (0.8 + Math.random() * 0.4));
        job.lastDetail = result.detail;
        await writeJsonAtomic(this.path('pending', job.id), job);
        break;
      }
    }
    const outcome = result.outcome === 'retry' ? 'retrying' : result.outcome;
    await this.onAttempt({ job, attempt: job.attempts, outcome, detail: result.detail }).catch(() => undefined);
  }

  private finish(channel: DeliveryChannel, job: OutboxJob, state: State): void {
    this.known.set(job.id, state);
    const q = this.queue(channel);
    const i = q.indexOf(job);
    if (i >= 0) q.splice(i, 1);
  }
}
