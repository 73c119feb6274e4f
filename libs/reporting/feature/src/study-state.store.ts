import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StudyReportState } from '@triage/reporting-domain';
import { readJsonFile, safeFileName, writeJsonAtomic } from './delivery/durable-file';

/** The persisted state of a study: what reporting knows, plus when its report was first issued. */
export interface StoredStudyState extends StudyReportState {
  /** Set once at the first report, so a rebuilt preliminary report keeps its `issued` time. */
  firstIssuedAt?: string;
}

/**
 * Per-study state under DATA_DIR (one fsync'd JSON file per study), so reports can be rebuilt whole
 * from whatever arrives next, in any order, after a restart. Updates of one study are serialised.
 */
export class StudyStateStore {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly cache = new Map<string, StoredStudyState>();

  constructor(private readonly dir: string) {}

  async get(studyUid: string): Promise<StoredStudyState | undefined> {
    const cached = this.cache.get(studyUid);
    if (cached) return cached;
    const loaded = await readJsonFile<StoredStudyState>(join(this.dir, safeFileName(studyUid)));
    if (loaded) this.remember(studyUid, loaded);
    return loaded;
  }

  /** A bounded cache of recent studies (the files are the truth). */
  private remember(studyUid: string, state: StoredStudyState): void {
    this.cache.delete(studyUid);
    this.cache.set(studyUid, state);
    if (this.cache.size > 2000) this.cache.delete(this.cache.keys().next().value as string);
  }

  /** Applies `change` to the study's state and writes it durably before resolving. */
  update(studyUid: string, change: (current: StoredStudyState | undefined) => StoredStudyState): Promise<StoredStudyState> {
    const prev = this.chains.get(studyUid) ?? Promise.resolve();
    const next = prev.then(async () => {
      const updated = change(await this.get(studyUid));
      await writeJsonAtomic(join(this.dir, safeFileName(studyUid)), updated);
      this.remember(studyUid, updated);
      return updated;
    });
    const settled = next.catch(() => undefined);
    this.chains.set(studyUid, settled);
    void settled.then(() => {
      if (this.chains.get(studyUid) === settled) this.chains.delete(studyUid);
    });
    return next;
  }

  /** Every stored study (for rebuilding the mesh's own FHIR endpoint at start). */
  async all(): Promise<StoredStudyState[]> {
    let names: string[] = [];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const out: StoredStudyState[] = [];
    for (const n of names) {
      const s = await readJsonFile<StoredStudyState>(join(this.dir, n));
      if (s) out.push(s);
    }
    return out;
  }
}
