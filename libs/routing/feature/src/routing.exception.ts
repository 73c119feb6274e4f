import { HttpException } from '@nestjs/common';

export enum RoutingErrorCode {
  InvalidRequest = 'INVALID_REQUEST',
  StudyNotFound = 'STUDY_NOT_FOUND',
  UnknownReader = 'UNKNOWN_READER',
  AlreadyHeld = 'ALREADY_HELD',
  NotHolder = 'NOT_HOLDER',
  NotLicensed = 'NOT_LICENSED',
  AtCapacity = 'AT_CAPACITY',
  AlreadySigned = 'ALREADY_SIGNED',
  NotSigned = 'NOT_SIGNED',
  InvalidVerdicts = 'INVALID_VERDICTS',
  AlertNotFound = 'ALERT_NOT_FOUND',
  NotInChain = 'NOT_IN_CHAIN',
  InvalidRuleSet = 'INVALID_RULE_SET',
}

const STATUS: Record<RoutingErrorCode, number> = {
  [RoutingErrorCode.InvalidRequest]: 400,
  [RoutingErrorCode.InvalidVerdicts]: 400,
  [RoutingErrorCode.InvalidRuleSet]: 400,
  [RoutingErrorCode.UnknownReader]: 400,
  [RoutingErrorCode.NotLicensed]: 403,
  [RoutingErrorCode.NotInChain]: 403,
  [RoutingErrorCode.StudyNotFound]: 404,
  [RoutingErrorCode.AlertNotFound]: 404,
  [RoutingErrorCode.AlreadyHeld]: 409,
  [RoutingErrorCode.NotHolder]: 409,
  [RoutingErrorCode.AtCapacity]: 409,
  [RoutingErrorCode.AlreadySigned]: 409,
  [RoutingErrorCode.NotSigned]: 409,
};

/** Errors of the routing API: a code, a message naming UIDs and reader ids only, and the problems found. */
export class RoutingException extends HttpException {
  constructor(
    readonly code: RoutingErrorCode,
    message: string,
    problems: string[] = [],
  ) {
    super({ statusCode: STATUS[code], error: code, message, ...(problems.length > 0 ? { problems } : {}) }, STATUS[code]);
    this.name = 'RoutingException';
  }
}
