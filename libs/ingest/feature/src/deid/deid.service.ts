import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { deidentifyPart10, type PseudonymEntry, PseudonymMap } from '@triage/ingest-domain';
import { MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { Journal } from '../journal';
import { DicomwebQueryService } from '../dicomweb-query.service';
import { InstanceStore } from '../instance-store.service';
import { KeyedMutex } from '../keyed-mutex';

export interface DeidentifiedInstance {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  file: Buffer;
}

export interface DeidentifiedStudy {
  /** The study's pseudonymous StudyInstanceUID */
  studyInstanceUid: string;
  instances: DeidentifiedInstance[];
  /** Instances with burned-in annotation, left out */
  heldBack: number;
}

/**
 * De-identification of stored studies for external AI services (PS3.15 Basic Profile, see
 * deidentifyPart10), with the mesh's reversible pseudonym map. The map is an append-only journal
 * (`${DATA_DIR}/deid/pseudonyms.jsonl`, mode 0600: it holds the originals), synced before any
 * de-identified byte leaves, so a pseudonym handed out is never forgotten by a crash.
 */
@Injectable()
export class DeidService implements OnModuleInit, OnApplicationShutdown {
  private readonly journal: Journal<PseudonymEntry>;
  private readonly map = new PseudonymMap(randomBytes);
  private readonly lock = new KeyedMutex();
  private readonly log: Logger;

  constructor(
    @Inject(MESH_CONFIG) config: MeshConfig,
    private readonly query: DicomwebQueryService,
    private readonly store: InstanceStore,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.journal = new Journal<PseudonymEntry>(join(resolve(config.DATA_DIR), 'deid', 'pseudonyms.jsonl'));
    this.log = logger.child({ component: 'deid' });
  }

  async onModuleInit(): Promise<void> {
    const { entries, unreadable } = await this.journal.open();
    // A torn last line (crash mid-append) was never synced: nothing was released with it.
    if (unreadable > 0) this.log.warn({ lines: unreadable }, 'unreadable pseudonym map lines skipped');
    this.map.load(entries);
    this.log.info({ pseudonyms: entries.length }, 'pseudonym map loaded');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.journal.close();
  }

  /** The original study of a pseudonymous StudyInstanceUID (re-identification), if the mesh issued it. */
  originalStudy(pseudonymUid: string): string | undefined {
    const e = this.map.original(pseudonymUid);
    return e?.kind === 'uid' ? e.original : undefined;
  }

  /** The pseudonymous UID the mesh gives an original one (creating and storing it on first use). */
  async pseudonymOf(originalUid: string): Promise<string> {
    return this.lock.run('map', async () => {
      const uid = this.map.uid(originalUid);
      await this.persist();
      return uid;
    });
  }

  /** De-identifies every stored instance of a study; undefined when the study is unknown. */
  async deidentifyStudy(studyUid: string): Promise<DeidentifiedStudy | undefined> {
    const refs = this.query.resolve(studyUid);
    if (!refs) return undefined;
    const out: DeidentifiedStudy = { studyInstanceUid: '', instances: [], heldBack: 0 };
    for (const ref of refs) {
      const file = await this.store.read(ref.key);
      const result = await this.lock.run('map', async () => {
        const r = deidentifyPart10(file, this.map);
        await this.persist();
        return r;
      });
      if (result.kind === 'held-back') {
        out.heldBack++;
        continue;
      }
      out.studyInstanceUid = result.studyInstanceUid;
      out.instances.push({ sopInstanceUid: result.sopInstanceUid, seriesInstanceUid: result.seriesInstanceUid, file: result.file });
    }
    out.studyInstanceUid ||= await this.pseudonymOf(studyUid);
    if (out.heldBack > 0) this.log.warn({ studyInstanceUid: studyUid, heldBack: out.heldBack }, 'instances with burned-in annotation held back from de-identified export');
    return out;
  }

  /** Appends the new entries and syncs them before anything that uses them is released (call under the lock). */
  private async persist(): Promise<void> {
    const fresh = this.map.drain();
    try {
      await this.journal.append(fresh);
    } catch (err) {
      this.map.undrain(fresh);
      throw err;
    }
  }
}
