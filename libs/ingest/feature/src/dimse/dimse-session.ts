import type { Socket } from 'node:net';
import { Dataset, Scp, constants, log as dimseLog, responses, type association, type requests } from 'dcmjs-dimse';
import {
  DicomParseError,
  DimseCommandField,
  isDicomUid,
  part10Header,
  PduFramer,
  PduViolation,
  responsePDataTf,
  VERIFICATION_SOP_CLASS,
  chooseTransferSyntax,
  isStorageSopClass,
} from '@triage/ingest-domain';
import type { Logger } from '@triage/observability';
import type { CompletenessPolicy } from '../completeness.policy';
import type { IngestConfig } from '../ingest.config';
import { IngestErrorCode, IngestException } from '../ingest.exception';
import type { InstanceIntake } from '../instance-intake.service';
import type { InstanceStore } from '../instance-store.service';
import type { StudyEventsService } from '../study-events.service';
import { withConcatToBuffer } from './command-stream';
import { GuardedSocket } from './guarded-socket';
import { InstanceSink } from './instance-sink';

// dcmjs-dimse logs through loglevel, including association dumps; the session logs what matters itself.
dimseLog.setLevel('silent');

const { Status, PresentationContextResult: Pc, RejectResult, RejectSource, RejectReason } = constants;

/** C-STORE statuses the mesh answers with (PS3.4 B.2.3). */
export const StoreStatus = {
  Success: 0x0000,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  ProcessingFailure: 0x0110,
  UnrecognizedOperation: 0x0211,
} as const;

/** PS3.8 allows 128 presentation contexts (odd ids 1-255); more is a malformed request. */
const MAX_PRESENTATION_CONTEXTS = 128;
/** An A-ASSOCIATE-RQ larger than this is aborted before parsing (thousands of sub-items). */
const MAX_ASSOCIATE_RQ_BYTES = 128 * 1024;

export interface DimseSessionDeps {
  config: IngestConfig;
  store: InstanceStore;
  intake: InstanceIntake;
  events: StudyEventsService;
  policy: CompletenessPolicy;
  log: Logger;
}

interface StoreResult {
  status: number;
  comment?: string;
}

/** One DICOM association: negotiation, C-ECHO and C-STORE, over a guarded socket. */
export class DimseSession extends Scp {
  readonly guard: GuardedSocket;
  private readonly framer: PduFramer;
  private readonly log: Logger;
  private callingAe = '';
  private sink: InstanceSink | undefined;
  private inFlight: Promise<void> | undefined;
  private releaseInFlight: (() => void) | undefined;
  /** Presentation context of the data set being answered (the library answers on the same one). */
  private storeContextId: number | undefined;
  private stored = 0;

  private commandStream: unknown;

  /** The library's command (and non-C-STORE data set) collector: given a toBuffer without `new Buffer()`. */
  get dimseStream(): unknown {
    return this.commandStream;
  }

  set dimseStream(stream: unknown) {
    this.commandStream = withConcatToBuffer(stream);
  }

  constructor(
    raw: Socket,
    private readonly deps: DimseSessionDeps,
    private readonly overLimit: boolean,
  ) {
    const framer = new PduFramer({ maxPDataBytes: deps.config.DIMSE_MAX_PDU_BYTES, maxAssociateRqBytes: MAX_ASSOCIATE_RQ_BYTES });
    const guard = new GuardedSocket(raw, framer);
    const timeout = deps.config.DIMSE_TIMEOUT_MS;
    super(guard as unknown as Socket, { connectTimeout: timeout * 2, associationTimeout: timeout, pduTimeout: timeout });
    this.guard = guard;
    guard.gate = () => this.gate();
    guard.onViolation = (violation) => this.violated(violation);
    this.framer = framer;
    this.log = deps.log.child({ peer: raw.remoteAddress });
    // The library's timers count from these; a server-side socket never emits 'connect'.
    Object.assign(this, { connected: true, connectedTime: Date.now() });
    this.on('networkError', (err: Error) => {
      this.log.warn({ reason: err.message }, 'DIMSE association closed after a network error or timeout');
      this.guard.abort(0);
    });
    guard.on('close', () => this.closed());
  }

  /** Holds the next PDU while a data set is being written out or answered. */
  private gate(): Promise<unknown> | undefined {
    if (this.inFlight) return this.inFlight;
    const sink = this.sink;
    if (sink?.writableNeedDrain) return new Promise((resolve) => sink.once('drain', resolve));
    return undefined;
  }

  private violated(violation: PduViolation): void {
    this.log.warn({ callingAe: this.callingAe || undefined, reason: violation.message }, 'DIMSE protocol violation; association aborted');
    this.guard.abort(violation.reason);
  }

  private closed(): void {
    if (this.sink) {
      this.log.warn({ callingAe: this.callingAe }, 'association ended inside a C-STORE data set; the partial instance is discarded');
      this.sink.abandon();
      this.sink = undefined;
    }
  }

  override associationRequested(assoc: association.Association): void {
    this.callingAe = assoc.getCallingAeTitle().trim();
    const reject = (result: number, source: number, reason: number, why: string): void => {
      this.log.warn({ callingAe: this.callingAe, calledAe: assoc.getCalledAeTitle().trim(), why }, 'A-ASSOCIATE-RJ');
      this.sendAssociationReject(result, source, reason);
      this.guard.finish();
    };
    if (this.overLimit) return reject(RejectResult.Transient, RejectSource.ServiceProviderPresentation, RejectReason.LocalLimitExceeded, 'association limit reached');
    if (assoc.getCalledAeTitle().trim() !== this.deps.config.DIMSE_AE_TITLE) {
      return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized, 'called AE title is not the mesh');
    }
    if (this.deps.policy.admit(this.callingAe, this.guard.remoteAddress) === null) {
      return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized, 'calling AE title not allowed');
    }
    const contexts = assoc.getPresentationContexts();
    if (contexts.length > MAX_PRESENTATION_CONTEXTS) {
      return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.NoReasonGiven, 'more presentation contexts than PS3.8 allows');
    }
    let accepted = 0;
    for (const { context } of contexts) {
      const abstract = context.getAbstractSyntaxUid().replace(/\0+$/, '').trim();
      if (abstract !== VERIFICATION_SOP_CLASS && !isStorageSopClass(abstract)) {
        context.setResult(Pc.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const ts = chooseTransferSyntax(context.getTransferSyntaxUids(), abstract);
      if (ts) {
        context.setResult(Pc.Accept, ts);
        accepted++;
      } else context.setResult(Pc.RejectTransferSyntaxesNotSupported);
    }
    // The Maximum Length the mesh receives (and enforces in the framer); its answers are small.
    assoc.setMaxPduLength(this.deps.config.DIMSE_MAX_PDU_BYTES);
    this.sendAssociationAccept();
    this.framer.accepted();
    this.log.info({ callingAe: this.callingAe, proposed: contexts.length, accepted }, 'DICOM association accepted');
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.log.info({ callingAe: this.callingAe, stored: this.stored }, 'DICOM association released');
    this.guard.finish();
  }

  override abort(): void {
    this.log.warn({ callingAe: this.callingAe, stored: this.stored }, 'DICOM association aborted by the peer');
    this.guard.finish();
  }

  override cEchoRequest(request: requests.CEchoRequest, callback: (response: responses.CEchoResponse) => void): void {
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(Status.Success);
    callback(response);
  }

  override createStoreWritableStream(context: association.PresentationContext | undefined, request: requests.CStoreRequest): InstanceSink {
    const transferSyntaxUid = context?.getAcceptedTransferSyntaxUid();
    // A data set on a context that was not accepted: the library turns this into a network error (A-ABORT).
    if (!transferSyntaxUid) throw new Error('data set on a presentation context that was not accepted');
    const sopClassUid = request.getAffectedSopClassUid()?.trim() ?? '';
    const sopInstanceUid = request.getAffectedSopInstanceUid()?.trim() ?? '';
    if (!isDicomUid(sopClassUid) || !isDicomUid(sopInstanceUid)) {
      this.sink = new InstanceSink({ refusal: new IngestException(IngestErrorCode.InvalidUid, 'the C-STORE command names an invalid UID') });
      return this.sink;
    }
    const header = part10Header({ sopClassUid, sopInstanceUid, transferSyntaxUid, sourceAeTitle: this.callingAe });
    this.sink = new InstanceSink({ store: this.deps.store, header, maxBytes: this.deps.config.INGEST_MAX_INSTANCE_BYTES });
    return this.sink;
  }

  override createDatasetFromStoreWritableStream(writable: InstanceSink, context: association.PresentationContext, callback: (dataset: Dataset) => void): void {
    // No PDU reaches the library until this instance is answered (it would overwrite its state).
    this.inFlight = new Promise<void>((resolve) => (this.releaseInFlight = resolve)).finally(() => (this.inFlight = undefined));
    this.storeContextId = context.getPresentationContextId();
    const done = (): void => callback(new Dataset({}, context.getAcceptedTransferSyntaxUid() ?? ''));
    if (writable.writableFinished) done();
    else writable.once('finish', done);
  }

  override cStoreRequest(request: requests.CStoreRequest, callback: (response: responses.CStoreResponse) => void): void {
    const sink = this.sink;
    this.sink = undefined;
    const release = this.releaseInFlight;
    this.releaseInFlight = undefined;
    const contextId = this.storeContextId;
    this.storeContextId = undefined;
    void this.store(request, sink).then((result) => {
      this.answerStore(request, result, contextId, callback);
      release?.();
    }).catch((err: unknown) => {
      // Sending the answer failed (the library threw): end this association, never the process.
      this.log.error({ callingAe: this.callingAe, reason: (err as Error).message }, 'C-STORE answer not sent; association aborted');
      release?.();
      this.guard.abort(0);
    });
  }

  /**
   * Sends the C-STORE-RSP. With valid UIDs it is encoded here (the bytes dcmjs-dimse would send, see
   * dimse-response.spec.ts) and written as one P-DATA-TF; anything unusual goes through the library.
   */
  private answerStore(request: requests.CStoreRequest, result: StoreResult, contextId: number | undefined, callback: (response: responses.CStoreResponse) => void): void {
    const affectedSopClassUid = request.getAffectedSopClassUid();
    const affectedSopInstanceUid = request.getAffectedSopInstanceUid();
    const messageId = request.getMessageId();
    if (contextId !== undefined && isDicomUid(affectedSopClassUid) && isDicomUid(affectedSopInstanceUid) && typeof messageId === 'number' && (!result.comment || /^[\x20-\x7e]{1,64}$/.test(result.comment))) {
      const pdu = responsePDataTf(contextId, {
        commandField: DimseCommandField.CStoreRsp,
        affectedSopClassUid,
        messageIdBeingRespondedTo: messageId,
        status: result.status,
        errorComment: result.comment,
        affectedSopInstanceUid,
      });
      this.guard.write(pdu);
      return;
    }
    const response = responses.CStoreResponse.fromRequest(request);
    response.setStatus(result.status);
    if (result.comment) response.setErrorComment(result.comment);
    callback(response);
  }

  /** Parses, checks and places one received instance; resolves to the C-STORE status (never rejects). */
  private async store(request: requests.CStoreRequest, sink: InstanceSink | undefined): Promise<StoreResult> {
    if (!sink) return { status: StoreStatus.CannotUnderstand, comment: 'C-STORE without a data set' };
    try {
      const file = await sink.file.catch((err: unknown) => {
        if (err instanceof IngestException && (err.code === IngestErrorCode.InstanceTooLarge || err.code === IngestErrorCode.OutOfResources)) {
          throw new StoreFailure({ status: StoreStatus.OutOfResources, comment: err.code === IngestErrorCode.InstanceTooLarge ? 'instance larger than allowed' : 'storage unavailable' });
        }
        if (err instanceof IngestException && err.code === IngestErrorCode.InvalidUid) throw new StoreFailure({ status: StoreStatus.CannotUnderstand, comment: 'invalid UID in the command' });
        throw err;
      });
      const parsed = await this.deps.intake.parse(file).catch((err: unknown) => {
        if (err instanceof DicomParseError) throw new StoreFailure({ status: StoreStatus.CannotUnderstand, comment: `cannot understand: ${err.code}` });
        throw err;
      });
      if (parsed.sopClassUid !== request.getAffectedSopClassUid()?.trim() || parsed.sopInstanceUid !== request.getAffectedSopInstanceUid()?.trim()) {
        await this.deps.store.discard(file);
        return { status: StoreStatus.DataSetDoesNotMatchSopClass, comment: 'data set SOP class or instance differs from the command' };
      }
      const outcome = await this.deps.intake.accept(file, parsed, 'c-store', this.callingAe);
      if (outcome === 'conflict' || outcome === 'misplaced') {
        return { status: StoreStatus.DataSetDoesNotMatchSopClass, comment: outcome === 'conflict' ? 'conflicting resend kept aside' : 'instance stored in another series' };
      }
      this.stored++;
      this.deps.events.scheduleSettle(parsed.studyInstanceUid);
      return { status: StoreStatus.Success };
    } catch (err) {
      if (err instanceof StoreFailure) {
        this.log.warn({ callingAe: this.callingAe, status: err.result.status.toString(16), reason: err.result.comment }, 'C-STORE refused');
        return err.result;
      }
      const outOfResources = err instanceof IngestException && err.code === IngestErrorCode.OutOfResources;
      this.log.error({ callingAe: this.callingAe, reason: (err as Error).message }, 'C-STORE failed');
      return outOfResources ? { status: StoreStatus.OutOfResources, comment: 'storage unavailable' } : { status: StoreStatus.ProcessingFailure, comment: 'processing failure' };
    }
  }

  // Only Verification and Storage contexts are accepted: other services are refused on them.
  override cFindRequest(request: requests.CFindRequest, callback: (r: responses.CFindResponse[]) => void): void {
    callback([unrecognized(responses.CFindResponse.fromRequest(request))]);
  }

  override cMoveRequest(request: requests.CMoveRequest, callback: (r: responses.CMoveResponse[]) => void): void {
    callback([unrecognized(responses.CMoveResponse.fromRequest(request))]);
  }

  override cGetRequest(request: requests.CGetRequest, callback: (r: responses.CGetResponse[]) => void): void {
    callback([unrecognized(responses.CGetResponse.fromRequest(request))]);
  }
}

function unrecognized<T extends { setStatus(status: number): void }>(response: T): T {
  response.setStatus(StoreStatus.UnrecognizedOperation);
  return response;
}

class StoreFailure extends Error {
  constructor(readonly result: StoreResult) {
    super(result.comment);
  }
}
