import { Hl7Message } from '@medplum/core';
import { MllpClient, MllpExchangeError } from '@triage/mllp';
import { interpretAck } from '@triage/reporting-domain';
import type { AttemptResult, OutboxJob } from './outbox';

/** An ACK larger than this is not an ACK. */
const MAX_ACK_BYTES = 1024 * 1024;

/**
 * Sends HL7 v2 messages over MLLP and waits for the ACK (original mode): AA delivered, AE dead-letter, AR,
 * a timeout or a lost connection retried. One connection, reused (MllpClient, the same MLLP decoder as
 * ingest's listener, so an ACK split across TCP segments is read whole); the ACK is parsed with
 * @medplum/core's Hl7Message.
 */
export class Hl7Sender {
  private readonly client: MllpClient;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly ackTimeoutMs: number,
  ) {
    this.client = new MllpClient({ host, port, connectTimeoutMs: 5_000, maxReplyBytes: MAX_ACK_BYTES });
  }

  get target(): string {
    return `mllp://${this.host}:${this.port}`;
  }

  readonly send = async (job: OutboxJob): Promise<AttemptResult> => {
    const body = job.body as string;
    const controlId = Hl7Message.parse(body).getSegment('MSH')?.getField(10)?.toString() ?? '';
    let ack: Hl7Message;
    try {
      ack = Hl7Message.parse((await this.client.exchange(Buffer.from(body, 'utf8'), this.ackTimeoutMs)).toString('utf8'));
    } catch (err) {
      const why = err instanceof MllpExchangeError ? err.code : 'error';
      return { outcome: 'retry', detail: why === 'timeout' ? `no ACK within ${this.ackTimeoutMs} ms` : `connection failed (${why})` };
    }
    const msa = ack.getSegment('MSA');
    const verdict = interpretAck(
      {
        msa1: msa?.getField(1)?.toString(),
        msa2: msa?.getField(2)?.toString(),
        msa3: msa?.getField(3)?.toString(),
        errCode: ack.getSegment('ERR')?.getField(3)?.getComponent(1),
      },
      controlId,
    );
    switch (verdict.action) {
      case 'done':
        return { outcome: 'delivered', detail: verdict.detail };
      case 'dead-letter':
        return { outcome: 'dead-letter', detail: verdict.detail, privateDetail: verdict.receiverText };
      case 'retry':
        return { outcome: 'retry', detail: verdict.detail };
    }
  };

  async close(): Promise<void> {
    await this.client.close();
  }
}
