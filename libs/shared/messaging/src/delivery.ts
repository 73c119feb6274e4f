import { DLQ_HEADERS, deadLetterTopic } from '@triage/contracts';
import type { Logger } from '@triage/observability';
import type { BatchMessageHandler, DeliveryControl, EventBus, InboundMessage, MessageHandler } from './bus';

/** Errors that retrying cannot fix (a message that fails its schema): dead-lettered at once. */
export function isRetryable(err: unknown): boolean {
  if (err && typeof err === 'object') {
    const e = err as { name?: string; retryable?: boolean };
    if (e.retryable === false) return false;
    if (e.name === 'ContractViolationError') return false;
  }
  return true;
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'HANDLER_FAILED';
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 1024);
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; doubles each attempt, with ±20 % jitter, capped at 30 s. */
  baseDelayMs: number;
}

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const raw = Math.min(30_000, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keeps the consumer's heartbeat going while `work` runs, so a long handler is not taken for dead. */
export async function withPacemaker<T>(control: DeliveryControl, intervalMs: number, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    control.heartbeat().catch(() => undefined);
  }, intervalMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export interface ReliableDeliveryOptions {
  bus: EventBus;
  groupId: string;
  policy: RetryPolicy;
  logger: Logger;
  heartbeatIntervalMs?: number;
  /** Called after a message was dead-lettered (metrics, tests). */
  onDeadLetter?: (msg: InboundMessage, code: string) => void;
}

/**
 * Wraps a handler with bounded retries and backoff, then the dead-letter topic with the error and the
 * original headers. The returned handler resolves once the message is handled or dead-lettered, so the
 * partition keeps moving; it rejects only if the dead-letter publish itself fails, in which case the
 * offset is not committed and the message comes back.
 */
export function reliableHandler(handler: MessageHandler, opts: ReliableDeliveryOptions): MessageHandler {
  const heartbeatMs = opts.heartbeatIntervalMs ?? 3000;
  return async (msg, control) => {
    let attempt = 0;
    for (;;) {
      attempt += 1;
      try {
        const attemptControl: DeliveryControl = { heartbeat: () => control.heartbeat(), attempt, finalAttempt: attempt >= opts.policy.maxAttempts };
        await withPacemaker(control, heartbeatMs, () => handler(msg, attemptControl));
        return;
      } catch (err) {
        const retry = isRetryable(err) && attempt < opts.policy.maxAttempts;
        opts.logger.warn(
          { topic: msg.topic, partition: msg.partition, offset: msg.offset, attempt, code: errorCode(err), reason: errorText(err) },
          retry ? 'handler failed; retrying' : 'handler failed; dead-lettering',
        );
        if (retry) {
          await withPacemaker(control, heartbeatMs, () => sleep(backoffMs(opts.policy, attempt)));
          continue;
        }
        await opts.bus.publish(deadLetterTopic(msg.topic), [
          {
            key: msg.key ?? '',
            value: msg.value ?? Buffer.alloc(0),
            headers: {
              ...msg.headers,
              [DLQ_HEADERS.error]: errorText(err),
              [DLQ_HEADERS.errorCode]: isRetryable(err) ? 'HANDLER_FAILED' : errorCode(err),
              [DLQ_HEADERS.originalTopic]: msg.topic,
              [DLQ_HEADERS.originalPartition]: String(msg.partition),
              [DLQ_HEADERS.originalOffset]: msg.offset,
              [DLQ_HEADERS.consumerGroup]: opts.groupId,
              [DLQ_HEADERS.attempts]: String(attempt),
              [DLQ_HEADERS.failedAt]: new Date().toISOString(),
            },
          },
        ]);
        opts.onDeadLetter?.(msg, errorCode(err));
        return;
      }
    }
  };
}

export interface ReliableBatchOptions {
  logger: Logger;
  heartbeatIntervalMs?: number;
}

/**
 * Wraps a batch handler: the whole run is tried once; if it fails, its messages are handled one by one
 * through `single` (a reliableHandler: retries, then the dead-letter topic), so one poison message
 * costs only itself and everything else still lands. The batch handler must therefore be atomic (a
 * transaction) or idempotent, since the messages of a failed batch are handled again.
 */
export function reliableBatchHandler(batch: BatchMessageHandler, single: MessageHandler, opts: ReliableBatchOptions): BatchMessageHandler {
  const heartbeatMs = opts.heartbeatIntervalMs ?? 3000;
  return async (msgs, control) => {
    if (msgs.length === 1) return single(msgs[0], control);
    try {
      await withPacemaker(control, heartbeatMs, () => batch(msgs, control));
      return;
    } catch (err) {
      const first = msgs[0];
      opts.logger.warn(
        { topic: first.topic, partition: first.partition, fromOffset: first.offset, count: msgs.length, code: errorCode(err), reason: errorText(err) },
        'batch handler failed; handling its messages one by one',
      );
    }
    for (const m of msgs) await single(m, control);
  };
}
