/** Why the audit store refused an input. Messages name types and fields, never patient data. */
export enum AuditErrorCode {
  UNKNOWN_EVENT_TYPE = 'UNKNOWN_EVENT_TYPE',
  TOPIC_MISMATCH = 'TOPIC_MISMATCH',
  CHAIN_HEAD_MISSING = 'CHAIN_HEAD_MISSING',
}

export class AuditException extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditException';
  }
}
