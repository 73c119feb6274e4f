export enum IngestErrorCode {
  /** The request body is larger than STOW_MAX_BYTES (answer 413). */
  RequestTooLarge = 'REQUEST_TOO_LARGE',
  /** One instance is larger than INGEST_MAX_INSTANCE_BYTES (that instance fails with 0xA700). */
  InstanceTooLarge = 'INSTANCE_TOO_LARGE',
  /** The disk is full or a quota was hit. */
  OutOfResources = 'OUT_OF_RESOURCES',
  /** A UID that would be used in a path is invalid. */
  InvalidUid = 'INVALID_UID',
  /** The study's files are stored but its event could not be published (it stays pending). */
  PublishFailed = 'PUBLISH_FAILED',
}

/** Errors of the ingest feature; messages name UIDs at most, never patient data. */
export class IngestException extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IngestException';
  }
}
