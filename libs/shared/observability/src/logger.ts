import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { phiRedactPaths, REDACTED } from './redaction';
import { currentTraceScope } from './trace-scope';

export type { Logger } from 'pino';

export interface LoggerSettings {
  service: string;
  level?: string;
  /** Where lines go; stdout by default. Tests pass a stream to inspect what was written. */
  destination?: DestinationStream;
}

/**
 * The root JSON logger of a process: one line per event, `service` and the current trace id on every
 * line, PHI keys redacted, errors serialised without their payloads.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: settings.service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: phiRedactPaths(), censor: REDACTED },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const scope = currentTraceScope();
      return scope ? { traceId: scope.traceId, ...(scope.eventId ? { eventId: scope.eventId } : {}) } : {};
    },
    serializers: { err: pino.stdSerializers.err },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
