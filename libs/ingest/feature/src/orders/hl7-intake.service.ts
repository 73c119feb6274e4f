import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Hl7Message } from '@medplum/core';
import {
  type AckCode,
  type AckCondition,
  applicationResponseType,
  buildAck,
  decodeHl7,
  Hl7ErrorCode,
  type Hl7Header,
  Hl7Problem,
  mapHl7,
  type OrderRecord,
  parseHl7,
  readMessageLoosely,
} from '@triage/ingest-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { KeyedMutex } from '../keyed-mutex';
import { ContextJoinService } from './context-join.service';
import { OrderStore } from './order-store.service';
import { ORDERS_CONFIG, type OrdersConfig } from './orders.config';

type Outcome = { code: 'AA' } | { code: 'AE' | 'AR'; problem: Hl7Problem };

/**
 * Turns one HL7 v2 message into its acknowledgement(s). AA only once the order is stored with fsync; a
 * resend of an acknowledged MSH-10 (same sender, same content) is answered AA again and not processed
 * twice; the same MSH-10 with other content is AE 205. Enhanced mode (MSH-15/16) answers the accept ACK
 * (CA/CE/CR) and then the application ACK, each when its condition asks for it.
 */
@Injectable()
export class Hl7IntakeService {
  private readonly log: Logger;
  private readonly locks = new KeyedMutex();

  constructor(
    private readonly store: OrderStore,
    private readonly join: ContextJoinService,
    @Inject(ORDERS_CONFIG) private readonly config: OrdersConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'hl7-intake' });
  }

  /** The answers to send back, in order (none when enhanced mode asks for none). */
  async handle(payload: Buffer): Promise<string[]> {
    let parsed: { message: Hl7Message; header: Hl7Header };
    try {
      parsed = parseHl7(decodeHl7(payload));
    } catch (err) {
      const problem = err instanceof Hl7Problem ? err : new Hl7Problem('AE', Hl7ErrorCode.SegmentSequence, undefined, 'message could not be parsed');
      this.log.warn({ ack: problem.ack, hl7Error: problem.code, reason: problem.message, bytes: payload.length }, 'HL7 message refused');
      return [this.ackFor(this.tryParse(payload), problem.ack, problem)];
    }
    const { message, header } = parsed;
    const outcome = await this.process(message, header);
    const fields = { messageType: header.type, controlId: header.controlId, version: header.version, ack: outcome.code };
    if (outcome.code === 'AA') this.log.info(fields, 'HL7 message accepted');
    else this.log.warn({ ...fields, hl7Error: outcome.problem.code, reason: outcome.problem.message }, 'HL7 message not accepted');
    const problem = outcome.code === 'AA' ? undefined : outcome.problem;
    const responseType = applicationResponseType(header);
    if (!header.enhanced) return [this.ackFor(message, outcome.code, problem, responseType)];
    const ok = outcome.code === 'AA';
    const out: string[] = [];
    if (wanted(header.enhanced.accept, ok)) out.push(this.ackFor(message, ok ? 'CA' : outcome.code === 'AE' ? 'CE' : 'CR', problem));
    if (wanted(header.enhanced.application, ok)) out.push(this.ackFor(message, outcome.code, problem, responseType));
    return out;
  }

  /** An answer for a message too large to accept: AR, built from its MSH if that can be read. */
  oversize(head: Buffer): string {
    const problem = new Hl7Problem('AR', Hl7ErrorCode.ApplicationInternalError, undefined, `message larger than ${this.config.HL7_MAX_MESSAGE_BYTES} bytes`);
    this.log.warn({ ack: 'AR', reason: problem.message }, 'HL7 message refused');
    const firstSegment = head.subarray(0, Math.max(0, head.indexOf(0x0d)));
    return this.ackFor(this.tryParse(firstSegment), 'AR', problem);
  }

  private async process(message: Hl7Message, header: Hl7Header): Promise<Outcome> {
    const key = `${header.sendingApplication}|${header.sendingFacility}|${header.controlId}`;
    const digest = createHash('sha256')
      .update(message.segments.map((s, i) => (i === 0 ? s.fields.map((f, n) => (n === 7 ? '' : f.toString())).join('|') : s.toString())).join('\r'))
      .digest('hex');
    return this.locks.run(key, async () => {
      const seen = this.store.receipt(key);
      if (seen) {
        if (seen.digest === digest) return { code: 'AA' };
        return { code: 'AE', problem: new Hl7Problem('AE', Hl7ErrorCode.DuplicateKey, ['MSH', 1, 10], 'MSH-10 already used for a different message') };
      }
      let records: OrderRecord[];
      try {
        records = mapHl7(message, header, new Date());
      } catch (err) {
        if (err instanceof Hl7Problem) return { code: err.ack, problem: err };
        throw err;
      }
      let stored: OrderRecord[];
      try {
        stored = await this.store.saveRecords(records, { key, value: { digest, ack: 'AA', receivedAt: new Date().toISOString() } });
      } catch (err) {
        this.log.error({ controlId: header.controlId, reason: (err as Error).message }, 'order not stored; answering AR so the sender resends');
        return { code: 'AR', problem: new Hl7Problem('AR', Hl7ErrorCode.ApplicationInternalError, undefined, 'order could not be stored; resend later') };
      }
      // The order is durable; the join publishes in the background and retries on its own.
      void this.join.recordsStored(stored);
      return { code: 'AA' };
    });
  }

  private ackFor(message: Hl7Message | undefined, code: AckCode, problem?: Hl7Problem, messageType?: string): string {
    return buildAck(message, code, problem, { application: this.config.HL7_RECEIVING_APPLICATION, facility: '' }, messageType);
  }

  /** The message as far as its MSH can be read, to address the answer; undefined when it has none. */
  private tryParse(payload: Buffer): Hl7Message | undefined {
    return readMessageLoosely(decodeHl7(payload));
  }
}

function wanted(condition: AckCondition, ok: boolean): boolean {
  return condition === 'AL' || (condition === 'SU' && ok) || (condition === 'ER' && !ok);
}
