import { Inject, Injectable } from '@nestjs/common';
import {
  buildStowResponse,
  DicomParseError,
  MultipartError,
  MultipartErrorCode,
  parseMediaType,
  parseMultipartStream,
  StowFailureReason,
  stowHttpStatus,
  type DicomJsonDataset,
  type MultipartEvent,
  type ParsedInstance,
  type StowFailedInstance,
  type StowStoredInstance,
} from '@triage/ingest-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { DicomwebUrls } from './dicomweb-urls.service';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { IngestErrorCode, IngestException } from './ingest.exception';
import { InstanceIntake } from './instance-intake.service';
import { InstanceStore, type IncomingFile } from './instance-store.service';
import { StudyEventsService } from './study-events.service';

export interface StowRequest {
  body: AsyncIterable<Buffer>;
  boundary: string;
  /** The `{study}` of `POST /studies/{study}`: instances of other studies fail. */
  study?: string;
}

export interface StowOutcome {
  status: 200 | 409 | 400 | 413 | 503;
  body: DicomJsonDataset;
  stored: number;
  failed: number;
}

type PartResult = { ok: true; stored: StowStoredInstance; study: string } | { ok: false; failed: StowFailedInstance };

/** Wraps a part's data events as a byte stream, so the store can pull them with back-pressure. */
class PartReader {
  ended = false;

  constructor(private readonly events: AsyncIterator<MultipartEvent>) {}

  async *chunks(): AsyncGenerator<Buffer> {
    while (!this.ended) {
      const next = await this.events.next();
      if (next.done) throw new MultipartError(MultipartErrorCode.Incomplete, 'body ended inside a part');
      if (next.value.type === 'data') yield next.value.chunk;
      else if (next.value.type === 'end-part') this.ended = true;
    }
  }

  /** Skips what is left of the part (after a failure part-way through it). */
  async skipRest(): Promise<void> {
    for await (const _ of this.chunks()) void _;
  }
}

function failure(reason: StowFailureReason, parsed?: Pick<ParsedInstance, 'sopClassUid' | 'sopInstanceUid'>): PartResult {
  return { ok: false, failed: { reason, sopClassUid: parsed?.sopClassUid, sopInstanceUid: parsed?.sopInstanceUid } };
}

/** Bytes of received parts a STOW-RS request may hold in memory while they are being placed. */
const STOW_IN_FLIGHT_BYTES = 64 * 1024 * 1024;

/** Counts request bytes and stops the upload once it passes the configured limit. */
async function* limited(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) throw new IngestException(IngestErrorCode.RequestTooLarge, 'request body larger than STOW_MAX_BYTES');
    yield chunk;
  }
}

/** STOW-RS: stores each part of a multipart/related request, then publishes study.received for changed studies. */
@Injectable()
export class StowService {
  private readonly log: Logger;

  constructor(
    private readonly store: InstanceStore,
    private readonly intake: InstanceIntake,
    private readonly events: StudyEventsService,
    private readonly urls: DicomwebUrls,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'stow' });
  }

  async handle(req: StowRequest): Promise<StowOutcome> {
    const stored: StowStoredInstance[] = [];
    const failed: StowFailedInstance[] = [];
    const studies = new Set<string>();
    let status: StowOutcome['status'] | undefined;
    const placing: Array<PartResult | { commit: Promise<PartResult>; sizeBytes: number }> = [];
    let inFlightBytes = 0;
    const unsettled = new Set<Promise<void>>();
    const events = parseMultipartStream(limited(req.body, this.config.STOW_MAX_BYTES), req.boundary)[Symbol.asyncIterator]();
    try {
      for (let next = await events.next(); !next.done; next = await events.next()) {
        if (next.value.type !== 'part') continue;
        const reader = new PartReader(events);
        const part = await this.receivePart(next.value.headers, reader, req.study);
        if (!reader.ended) await reader.skipRest();
        // Parts are placed while the next ones are read, so their journal appends share fsyncs; the bytes
        // held meanwhile are bounded.
        placing.push(part);
        if ('commit' in part) {
          inFlightBytes += part.sizeBytes;
          const settled = part.commit.then(() => {
            inFlightBytes -= part.sizeBytes;
            unsettled.delete(settled);
          });
          unsettled.add(settled);
          while (inFlightBytes > STOW_IN_FLIGHT_BYTES && unsettled.size > 0) await Promise.race(unsettled);
        }
      }
    } catch (err) {
      if (err instanceof IngestException && err.code === IngestErrorCode.RequestTooLarge) status = 413;
      else if (err instanceof MultipartError) status = 400;
      else throw err;
      this.log.warn({ reason: (err as Error).message }, 'STOW-RS request body rejected');
    }
    for (const part of placing) {
      const result = 'commit' in part ? await part.commit : part;
      if (result.ok) {
        stored.push(result.stored);
        studies.add(result.study);
      } else failed.push(result.failed);
    }
    for (const study of studies) {
      try {
        await this.events.publishIfPending(study);
      } catch (err) {
        if (!(err instanceof IngestException)) throw err;
        status ??= 503;
      }
    }
    if (!status && stored.length === 0 && failed.length === 0) status = 400;
    const body = buildStowResponse({
      studyRetrieveUrl: req.study ? this.urls.study(req.study) : studies.size === 1 ? this.urls.study([...studies][0]) : undefined,
      stored,
      failed,
    });
    this.log.info({ stored: stored.length, failed: failed.length, studies: studies.size }, 'STOW-RS request handled');
    return { status: status ?? stowHttpStatus(stored.length, failed.length), body, stored: stored.length, failed: failed.length };
  }

  /** Reads one part and parses it; a usable instance comes back with its placement running (`commit`). */
  private async receivePart(headers: Record<string, string>, reader: PartReader, pathStudy: string | undefined): Promise<PartResult | { commit: Promise<PartResult>; sizeBytes: number }> {
    const type = parseMediaType(headers['content-type'] ?? 'application/dicom')?.type;
    if (type !== 'application/dicom') return failure(StowFailureReason.CannotUnderstand);
    let file: IncomingFile;
    try {
      file = await this.store.receive(reader.chunks(), this.config.INGEST_MAX_INSTANCE_BYTES);
    } catch (err) {
      if (err instanceof IngestException && (err.code === IngestErrorCode.InstanceTooLarge || err.code === IngestErrorCode.OutOfResources)) {
        return failure(StowFailureReason.OutOfResources);
      }
      throw err;
    }
    let parsed: ParsedInstance;
    try {
      parsed = await this.intake.parse(file);
    } catch (err) {
      if (err instanceof DicomParseError) {
        this.log.warn({ code: err.code }, 'STOW-RS part is not a usable DICOM instance');
        return failure(StowFailureReason.CannotUnderstand);
      }
      throw err;
    }
    if (pathStudy && parsed.studyInstanceUid !== pathStudy) {
      await this.store.discard(file);
      return failure(StowFailureReason.DataSetMismatch, parsed);
    }
    const commit = this.commit(file, parsed).catch(async (err: unknown) => {
      await this.store.discard(file);
      const outOfResources = err instanceof IngestException && err.code === IngestErrorCode.OutOfResources;
      this.log.error({ sopInstanceUid: parsed.sopInstanceUid, reason: (err as Error).message }, 'instance not stored');
      return failure(outOfResources ? StowFailureReason.OutOfResources : StowFailureReason.ProcessingFailure, parsed);
    });
    return { commit, sizeBytes: file.sizeBytes };
  }

  /** Places the file through the shared intake and maps its outcome to a STOW-RS result. */
  private async commit(file: IncomingFile, parsed: ParsedInstance): Promise<PartResult> {
    const outcome = await this.intake.accept(file, parsed, 'stow-rs');
    if (outcome === 'conflict' || outcome === 'misplaced') return failure(StowFailureReason.DataSetMismatch, parsed);
    const { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop } = parsed;
    return { ok: true, study, stored: { sopClassUid: parsed.sopClassUid, sopInstanceUid: sop, retrieveUrl: this.urls.instance(study, series, sop) } };
  }
}
