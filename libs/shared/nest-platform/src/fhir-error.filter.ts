import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/** Paths whose answers are FHIR: every error on them is an OperationOutcome (application/fhir+json). */
const FHIR_PATH = /^\/fhir(\/|$|\?)/;

/** The FHIR issue type for an HTTP status the platform (not a FHIR controller) answered with. */
function issueCode(status: number): string {
  if (status === 400) return 'structure';
  if (status === 404 || status === 405) return 'not-supported';
  if (status === 413) return 'too-costly';
  if (status === 415) return 'not-supported';
  return status < 500 ? 'invalid' : 'exception';
}

/**
 * Text of the issue. Never the error's own message: a JSON parser's message may quote the body, which
 * can hold patient data.
 */
function diagnostics(status: number): string {
  if (status === 400) return 'the request body is not valid JSON';
  if (status === 404) return 'no such FHIR interaction on this server';
  if (status === 413) return 'request body larger than allowed';
  if (status === 415) return 'unsupported media type';
  return status < 500 ? 'the request was refused' : 'internal error';
}

/**
 * Errors raised on a /fhir path before a FHIR controller answered (the JSON body parser refusing a
 * malformed application/json body, an unknown route) become a FHIR OperationOutcome instead of Nest's JSON
 * error; every other path keeps Nest's answer.
 */
@Catch()
export class FhirErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const http = host.switchToHttp();
    const req = http.getRequest<IncomingMessage & { originalUrl?: string }>();
    const res = http.getResponse<ServerResponse>();
    const path = req.originalUrl ?? req.url ?? '';
    if (!FHIR_PATH.test(path) || res.headersSent) return super.catch(exception, host);
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    const body = Buffer.from(
      JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: issueCode(status), diagnostics: diagnostics(status) }] }),
    );
    res.writeHead(status, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': String(body.length) });
    res.end(body);
  }
}
