import { Inject, Injectable } from '@nestjs/common';
import { parsePart10, type ParsedInstance, type StudyRecord } from '@triage/ingest-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { InstanceStore, type IncomingFile } from './instance-store.service';
import { StudyIndex } from './study-index.service';

/**
 * - `stored`: new instance, placed and indexed; `duplicate`: the same bytes were already stored (a resend);
 * - `conflict`: same SOP Instance UID, other bytes: quarantined; `misplaced`: the SOP Instance UID is
 *   already stored in another study or series: quarantined.
 */
export type IntakeOutcome = 'stored' | 'duplicate' | 'conflict' | 'misplaced';

/**
 * The one path every received instance takes into the store, whichever protocol brought it (STOW-RS,
 * C-STORE): parse the received file, then, under the study's lock, place it (idempotent by SOP Instance
 * UID and sha256) and record it in the study index.
 */
@Injectable()
export class InstanceIntake {
  private readonly log: Logger;

  constructor(
    private readonly store: InstanceStore,
    private readonly index: StudyIndex,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'instance-intake' });
  }

  /** Parses a received file; on any failure the file is discarded and the error (DicomParseError for bad data) rethrown. */
  async parse(file: IncomingFile): Promise<ParsedInstance> {
    try {
      return parsePart10(await this.store.readIncoming(file));
    } catch (err) {
      await this.store.discard(file);
      throw err;
    }
  }

  /**
   * Places and indexes a parsed file (the file is consumed whatever the outcome). The decision (stored,
   * duplicate, conflict, misplaced) is taken under the study's lock; waiting for durability is not, so
   * concurrent instances of one study share the journal's (or the directory's) fsync. A stored instance is
   * indexed only once it is durable.
   */
  async accept(file: IncomingFile, parsed: ParsedInstance, protocol: StudyRecord['protocol'], source?: string): Promise<IntakeOutcome> {
    const key = { study: parsed.studyInstanceUid, series: parsed.seriesInstanceUid, sop: parsed.sopInstanceUid };
    const outcome = await this.index.withStudyLock(parsed.studyInstanceUid, async (): Promise<IntakeOutcome> => {
      const known = this.index.locate(parsed.sopInstanceUid) ?? this.store.placing(parsed.sopInstanceUid);
      if (known && (known.study !== key.study || known.series !== key.series)) {
        await this.store.quarantine(file, key);
        this.log.warn({ sopInstanceUid: key.sop, protocol }, 'SOP instance already stored in another study or series; quarantined');
        return 'misplaced';
      }
      const result = await this.store.commit(file, key, known ? { sha256: known.sha256 } : null);
      if (result === 'conflict') {
        this.log.warn({ sopInstanceUid: key.sop, protocol }, 'conflicting resend: same SOP Instance UID, different bytes; quarantined');
        return 'conflict';
      }
      // A duplicate whose index entry was lost (crash between placing and indexing) is recorded now.
      if (result === 'duplicate') await this.index.recordInstance(parsed, file, protocol, source);
      return result;
    });
    if (outcome === 'stored') {
      await this.store.persist(key);
      await this.index.recordInstance(parsed, file, protocol, source);
    }
    return outcome;
  }
}
