/** Why bytes could not be read as a DICOM Part 10 instance. Messages never contain attribute values. */
export enum DicomParseErrorCode {
  NotDicom = 'NOT_DICOM',
  NoFileMeta = 'NO_FILE_META',
  NoTransferSyntax = 'NO_TRANSFER_SYNTAX',
  UnsupportedTransferSyntax = 'UNSUPPORTED_TRANSFER_SYNTAX',
  Truncated = 'TRUNCATED',
  Malformed = 'MALFORMED',
  MissingAttribute = 'MISSING_ATTRIBUTE',
  InvalidUid = 'INVALID_UID',
}

export class DicomParseError extends Error {
  constructor(
    readonly code: DicomParseErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DicomParseError';
  }
}
