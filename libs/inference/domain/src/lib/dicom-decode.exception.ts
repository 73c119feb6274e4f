/** Why a DICOM object could not be turned into pixels. Messages name UIDs and rules, never patient data. */
export type DicomDecodeErrorCode =
  | 'NOT_PART10'
  | 'PARSE_FAILED'
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'UNSUPPORTED_PIXEL_FORMAT'
  | 'MISSING_PIXEL_DATA'
  | 'PIXEL_DATA_TRUNCATED'
  | 'PIXEL_DATA_CORRUPT'
  | 'CODEC_NOT_LOADED';

export class DicomDecodeError extends Error {
  /** Decoding the same bytes again gives the same result: retrying cannot help. */
  readonly retryable = false;

  constructor(
    readonly code: DicomDecodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DicomDecodeError';
  }
}

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, First-Order Prediction',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'HTJ2K (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

/** A transfer syntax whose pixel data this pipeline does not decode (deflated, JPEG-LS, JPEG 2000, HTJ2K). */
export class UnsupportedTransferSyntaxError extends DicomDecodeError {
  constructor(readonly transferSyntaxUid: string) {
    const name = TRANSFER_SYNTAX_NAMES[transferSyntaxUid];
    super(
      'UNSUPPORTED_TRANSFER_SYNTAX',
      `unsupported transfer syntax ${transferSyntaxUid}${name ? ` (${name})` : ''}: native (implicit/explicit VR ` +
        'little endian, explicit VR big endian), RLE Lossless and JPEG baseline, extended and lossless pixel data can be decoded',
    );
    this.name = 'UnsupportedTransferSyntaxError';
  }
}
