import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import { interpretAck } from '@triage/reporting-domain';
import type { AttemptResult, OutboxJob } from './outbox';

/**
 * Sends HL7 v2 messages over MLLP with @medplum/hl7's Hl7Client and waits for the ACK (original mode):
 * AA delivered, AE dead-letter, AR, a timeout or a lost connection retried. One connection, reused;
 * Nagle is off on it so a small message and its ACK are not held back by delayed ACKs.
 */
export class Hl7Sender {
  private client?: Hl7Client;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly ackTimeoutMs: number,
  ) {}

  get target(): string {
    return `mllp://${this.host}:${this.port}`;
  }

  readonly send = async (job: OutboxJob): Promise<AttemptResult> => {
    const message = Hl7Message.parse(job.body as string);
    const controlId = message.getSegment('MSH')?.getField(10)?.toString() ?? '';
    let ack: Hl7Message;
    try {
      const client = await this.connected();
      ack = await client.sendAndWait(message, { timeoutMs: this.ackTimeoutMs });
    } catch (err) {
      await this.reset();
      const why = (err as { outcome?: { issue?: Array<{ code?: string }> } }).outcome?.issue?.[0]?.code ?? (err as NodeJS.ErrnoException).code ?? 'error';
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

  private async connected(): Promise<Hl7Client> {
    if (!this.client) this.client = new Hl7Client({ host: this.host, port: this.port, connectTimeout: 5_000, keepAlive: true });
    const conn = await this.client.connect();
    conn.socket.setNoDelay(true);
    return this.client;
  }

  private async reset(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
  }
}
