import { HttpException, HttpStatus } from '@nestjs/common';

export enum LineageErrorCode {
  INVALID_TRACE_ID = 'INVALID_TRACE_ID',
  INVALID_STUDY_INSTANCE_UID = 'INVALID_STUDY_INSTANCE_UID',
  INVALID_QUERY = 'INVALID_QUERY',
  LINEAGE_NOT_FOUND = 'LINEAGE_NOT_FOUND',
}

const STATUS: Record<LineageErrorCode, HttpStatus> = {
  [LineageErrorCode.INVALID_TRACE_ID]: HttpStatus.BAD_REQUEST,
  [LineageErrorCode.INVALID_STUDY_INSTANCE_UID]: HttpStatus.BAD_REQUEST,
  [LineageErrorCode.INVALID_QUERY]: HttpStatus.BAD_REQUEST,
  [LineageErrorCode.LINEAGE_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

/** A lineage query the service cannot answer; the JSON body names the problem, never echoes the input. */
export class LineageException extends HttpException {
  constructor(
    readonly code: LineageErrorCode,
    message: string,
  ) {
    super({ statusCode: STATUS[code], error: code, message }, STATUS[code]);
  }
}
