/** What an HL7 acknowledgement says, and what to do about it. */
export interface AckVerdict {
  code: string;
  /** done: accepted; dead-letter: the receiver found an error in the message; retry: rejected or transient. */
  action: 'done' | 'dead-letter' | 'retry';
  /** Coded detail only (MSA-1, ERR-3): safe for logs and audit events. */
  detail: string;
  /** The receiver's own words (MSA-3 / ERR-8): may echo message content, so kept out of logs and events. */
  receiverText?: string;
}

export interface AckFields {
  /** MSA-1 acknowledgement code. */
  msa1?: string;
  /** MSA-2 control id of the message acknowledged. */
  msa2?: string;
  /** MSA-3 text message. */
  msa3?: string;
  /** ERR-3.1 HL7 error code (table 0357). */
  errCode?: string;
}

/**
 * Interprets an ACK to the message with `controlId`: AA/CA done, AE/CE dead-letter (the sender must fix
 * the message), AR/CR retry (rejected, possibly transient). An ACK for another message is retried.
 */
export function interpretAck(ack: AckFields, controlId: string): AckVerdict {
  const code = (ack.msa1 ?? '').toUpperCase();
  const coded = `${code || '(no MSA-1)'}${ack.errCode ? ` (ERR-3 ${ack.errCode.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)})` : ''}`;
  const receiverText = ack.msa3 ? ack.msa3.slice(0, 500) : undefined;
  if (ack.msa2 !== controlId) return { code, action: 'retry', detail: `${coded}: ACK names another message`, receiverText };
  switch (code) {
    case 'AA':
    case 'CA':
      return { code, action: 'done', detail: coded };
    case 'AE':
    case 'CE':
      return { code, action: 'dead-letter', detail: coded, receiverText };
    case 'AR':
    case 'CR':
      return { code, action: 'retry', detail: coded, receiverText };
    default:
      return { code, action: 'retry', detail: `${coded}: unknown acknowledgement code`, receiverText };
  }
}
