import type { IncomingMessage, ServerResponse } from 'node:http';
import { newTraceContext, parseTraceparent } from '@triage/contracts';
import { runInTraceScope, type Logger } from '@triage/observability';

/**
 * One JSON line per HTTP request (method, path without its query string, status, duration) under a trace:
 * the caller's W3C `traceparent` when it sent one, else a new trace. The query string is never logged:
 * QIDO-RS queries carry patient names and identifiers.
 */
export function requestLogMiddleware(logger: Logger) {
  const log = logger.child({ component: 'http' });
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const trace = parseTraceparent(String(req.headers.traceparent ?? '')) ?? newTraceContext();
    const started = process.hrtime.bigint();
    res.setHeader('traceparent', trace.traceparent);
    runInTraceScope({ traceId: trace.traceId }, () => {
      res.on('finish', () => {
        const path = (req.url ?? '').split('?')[0];
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const fields = { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
        // Probes every few seconds would drown the log at info.
        if (path.startsWith('/health/')) log.debug(fields, 'request');
        else log.info(fields, 'request');
      });
      next();
    });
  };
}
