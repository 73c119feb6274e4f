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

  /** An event of a type or on a topic the store does not take will never be taken: dead-letter it at once. */
  get retryable(): boolean {
    return this.code === AuditErrorCode.CHAIN_HEAD_MISSING;
  }
}
