import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { newTraceContext } from '@triage/contracts';
import { addInstance, findInstance, instanceCount, isDicomUid, newStudyRecord, type ParsedInstance, type StudyRecord } from '@triage/ingest-domain';
import { MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { writeFileAtomic } from './atomic-file';
import { KeyedMutex } from './keyed-mutex';

export interface InstanceLocation {
  study: string;
  series: string;
}

/**
 * The study index: one JSON file per study under `${DATA_DIR}/index/studies/`, written atomically, with an
 * in-memory cache. Changes to a study happen inside `withStudyLock`, so concurrent requests for one study
 * are applied one after another. Protocol-neutral: STOW-RS now, C-STORE later.
 */
@Injectable()
export class StudyIndex {
  private readonly dir: string;
  private readonly cache = new Map<string, StudyRecord>();
  private readonly sops = new Map<string, InstanceLocation>();
  private readonly locks = new KeyedMutex();
  private readonly log: Logger;

  constructor(@Inject(MESH_CONFIG) config: MeshConfig, @Inject(ROOT_LOGGER) logger: Logger) {
    this.dir = join(resolve(config.DATA_DIR), 'index', 'studies');
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
    this.log.info({ studies: this.cache.size }, 'study index loaded');
  }

  private remember(record: StudyRecord): void {
    this.cache.set(record.studyInstanceUid, record);
    for (const s of record.series) for (const i of s.instances) this.sops.set(i.sopInstanceUid, { study: record.studyInstanceUid, series: s.seriesInstanceUid });
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
    const current = this.cache.get(parsed.studyInstanceUid);
    if (current && findInstance(current, parsed.sopInstanceUid)) return false;
    const next = current ? structuredClone(current) : newStudyRecord(parsed, newTraceContext().traceId, now, protocol);
    addInstance(next, parsed, file, now);
    next.protocol = protocol;
    next.source = source;
    await this.persist(next);
    return true;
  }

  /** Marks the study's current state as published (call under the study lock). */
  async markPublished(studyUid: string, instanceCountAtPublish: number, revision?: number): Promise<void> {
    const current = this.cache.get(studyUid);
    if (!current) return;
    const next = structuredClone(current);
    // Instances added while the event was in flight keep the study pending.
    next.unpublished = instanceCount(next) !== instanceCountAtPublish;
    next.publishedAt = new Date().toISOString();
    next.publishedInstanceCount = instanceCountAtPublish;
    if (revision !== undefined) next.revision = revision;
    await this.persist(next);
  }

  private async persist(record: StudyRecord): Promise<void> {
    if (!isDicomUid(record.studyInstanceUid)) throw new Error('refusing to index a study with an invalid UID');
    await writeFileAtomic(join(this.dir, `${record.studyInstanceUid}.json`), JSON.stringify(record));
    this.remember(record);
  }
}
