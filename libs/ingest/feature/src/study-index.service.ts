import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { newTraceContext } from '@triage/contracts';
import { addInstance, instanceCount, isDicomUid, newStudyRecord, parsePart10, type ParsedInstance, type StudyRecord } from '@triage/ingest-domain';
import { MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { writeFileAtomic } from './atomic-file';
import { hashFile } from './instance-store.service';
import { KeyedMutex } from './keyed-mutex';

export interface InstanceLocation {
  study: string;
  series: string;
  sha256: string;
}

/** How long a changed study may wait before its index file is rewritten (instances are durable already). */
const FLUSH_MS = 250;

/**
 * The study index: one JSON file per study under `${DATA_DIR}/index/studies/`, written atomically, with an
 * in-memory cache. Changes to a study happen inside `withStudyLock`, so concurrent requests for one study
 * are applied one after another. Protocol-neutral (STOW-RS, C-STORE).
 *
 * The instance files are the durable record (each is fsynced into the store before it is acknowledged);
 * the index file of a study is rewritten at most every FLUSH_MS, and at once before the study's event is
 * published, so a study of 1,000 instances costs 1,000 fsynced files, not 1,000 rewrites of a growing JSON
 * file. Instances stored after the last write and before a crash are found again at start-up
 * (`reconcile`: stored files missing from the index are re-read and indexed, and their study is pending).
 */
@Injectable()
export class StudyIndex implements OnApplicationShutdown {
  private readonly dir: string;
  private readonly cache = new Map<string, StudyRecord>();
  private readonly sops = new Map<string, InstanceLocation>();
  private readonly locks = new KeyedMutex();
  private readonly log: Logger;
  private readonly storageDir: string;
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();

  constructor(@Inject(MESH_CONFIG) config: MeshConfig, @Inject(ROOT_LOGGER) logger: Logger) {
    this.dir = join(resolve(config.DATA_DIR), 'index', 'studies');
    this.storageDir = join(resolve(config.DATA_DIR), 'storage');
    this.log = logger.child({ component: 'study-index' });
  }

  /** Loads every study file into the cache (start-up). Unreadable files are reported and skipped. */
  async load(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    for (const name of await fs.readdir(this.dir)) {
      const uid = name.endsWith('.json') ? name.slice(0, -5) : '';
      if (!isDicomUid(uid)) continue;
      try {
        const record = JSON.parse(await fs.readFile(join(this.dir, name), 'utf8')) as StudyRecord;
        if (record.studyInstanceUid !== uid) throw new Error('file name and study UID differ');
        this.remember(record);
      } catch (err) {
        this.log.error({ studyInstanceUid: uid, reason: (err as Error).message }, 'study index file unreadable; skipped');
      }
    }
    await this.reconcile();
    this.log.info({ studies: this.cache.size }, 'study index loaded');
  }

  /** Indexes stored instances the index files do not list (stored after the last index write before a crash). */
  private async reconcile(): Promise<void> {
    let found = 0;
    const list = (dir: string) => fs.readdir(dir).catch(() => [] as string[]);
    for (const study of (await list(this.storageDir)).filter(isDicomUid)) {
      for (const series of (await list(join(this.storageDir, study))).filter(isDicomUid)) {
        for (const name of await list(join(this.storageDir, study, series))) {
          const sop = name.endsWith('.dcm') ? name.slice(0, -4) : '';
          if (!isDicomUid(sop) || this.sops.has(sop)) continue;
          const path = join(this.storageDir, study, series, name);
          try {
            const buf = await fs.readFile(path);
            await this.recordInstance(parsePart10(buf), { sizeBytes: buf.length, sha256: await hashFile(path) }, this.cache.get(study)?.protocol ?? 'c-store');
            found++;
          } catch (err) {
            this.log.error({ studyInstanceUid: study, sopInstanceUid: sop, reason: (err as Error).message }, 'stored instance unreadable; not indexed');
          }
        }
      }
    }
    if (found > 0) {
      await this.flush();
      this.log.warn({ instances: found }, 'stored instances missing from the index were indexed again; their studies are pending');
    }
  }

  private remember(record: StudyRecord): void {
    this.cache.set(record.studyInstanceUid, record);
    for (const s of record.series) for (const i of s.instances) this.sops.set(i.sopInstanceUid, { study: record.studyInstanceUid, series: s.seriesInstanceUid, sha256: i.sha256 });
  }

  /** Runs `fn` while holding the study's lock. */
  withStudyLock<T>(studyUid: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(studyUid, fn);
  }

  /** The study as last persisted (treat as read-only). */
  get(studyUid: string): StudyRecord | undefined {
    return this.cache.get(studyUid);
  }

  list(): StudyRecord[] {
    return [...this.cache.values()].sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  /** Where a SOP instance is stored, whichever study it is in. */
  locate(sopInstanceUid: string): InstanceLocation | undefined {
    return this.sops.get(sopInstanceUid);
  }

  /** Studies whose latest change has not been published yet. */
  pendingStudies(): string[] {
    return this.list().filter((r) => r.unpublished).map((r) => r.studyInstanceUid);
  }

  /**
   * Records a stored instance (call under the study lock). A study seen for the first time gets a new
   * trace. Returns true when the instance is new to the index (it marks the study unpublished).
   */
  async recordInstance(
    parsed: ParsedInstance,
    file: { sizeBytes: number; sha256: string },
    protocol: StudyRecord['protocol'],
    source?: string,
  ): Promise<boolean> {
    const now = new Date();
    if (this.sops.get(parsed.sopInstanceUid)?.study === parsed.studyInstanceUid) return false;
    const next = this.cache.get(parsed.studyInstanceUid) ?? newStudyRecord(parsed, newTraceContext().traceId, now, protocol);
    if (!isDicomUid(next.studyInstanceUid)) throw new Error('refusing to index a study with an invalid UID');
    addInstance(next, parsed, file, now);
    next.protocol = protocol;
    next.source = source;
    this.remember(next);
    this.markDirty(next.studyInstanceUid);
    return true;
  }

  private markDirty(studyUid: string): void {
    this.dirty.add(studyUid);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flush().catch((err: Error) => this.log.error({ reason: err.message }, 'study index write failed; retried')), FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Writes the index files of changed studies (one writer at a time, so a newer state is never overwritten by an older one). */
  flush(studyUid?: string): Promise<void> {
    const run = async () => {
      const uids = studyUid ? (this.dirty.has(studyUid) ? [studyUid] : []) : [...this.dirty];
      if (!studyUid) {
        clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
      }
      for (const uid of uids) {
        this.dirty.delete(uid);
        const record = this.cache.get(uid);
        try {
          if (record) await writeFileAtomic(join(this.dir, `${uid}.json`), JSON.stringify(record));
        } catch (err) {
          this.markDirty(uid);
          throw err;
        }
      }
    };
    this.writes = this.writes.then(run, run);
    return this.writes;
  }

  /** Last at shutdown (after the listeners have closed): what changed since the last write is written. */
  async onApplicationShutdown(): Promise<void> {
    await this.flush().catch((err: Error) => this.log.error({ reason: err.message }, 'study index not written at shutdown; reconciled at the next start'));
  }

  /** Marks the study's current state as published (call under the study lock). */
  async markPublished(studyUid: string, instanceCountAtPublish: number, revision?: number): Promise<void> {
    const next = this.cache.get(studyUid);
    if (!next) return;
    // Instances added while the event was in flight keep the study pending.
    next.unpublished = instanceCount(next) !== instanceCountAtPublish;
    next.publishedAt = new Date().toISOString();
    next.publishedInstanceCount = instanceCountAtPublish;
    if (revision !== undefined) next.revision = revision;
    this.dirty.add(studyUid);
    await this.flush(studyUid);
  }

  /** Records a study.updated revision published outside a pending publish (context, priors; call under the study lock). */
  async markRevision(studyUid: string, revision: number): Promise<void> {
    const next = this.cache.get(studyUid);
    if (!next) return;
    next.revision = Math.max(next.revision ?? 0, revision);
    this.dirty.add(studyUid);
    await this.flush(studyUid);
  }
}
