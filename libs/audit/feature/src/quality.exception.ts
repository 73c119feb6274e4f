import { HttpException, HttpStatus } from '@nestjs/common';

export enum QualityErrorCode {
  INVALID_QUERY = 'INVALID_QUERY',
}

/** A quality query the service cannot answer; the JSON body names the parameter, never echoes its value. */
export class QualityException extends HttpException {
  constructor(
    readonly code: QualityErrorCode,
    message: string,
  ) {
    super({ statusCode: HttpStatus.BAD_REQUEST, error: code, message }, HttpStatus.BAD_REQUEST);
  }
}
