import type { AttemptResult, OutboxJob } from './outbox';

/** A queued HTTP notification: where, which headers, and the body. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** POSTs queued notifications (Subscription rest-hooks): 2xx delivered, a refusal dead-lettered, the rest retried. */
export function webhookSender(timeoutMs = 10_000): (job: OutboxJob) => Promise<AttemptResult> {
  return async (job) => {
    const req = job.body as WebhookRequest;
    try {
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { outcome: 'delivered', detail: `HTTP ${res.status}` };
      return { outcome: RETRYABLE.has(res.status) ? 'retry' : 'dead-letter', detail: `HTTP ${res.status}` };
    } catch (err) {
      return { outcome: 'retry', detail: `no response: ${err instanceof Error ? err.name : 'error'}` };
    }
  };
}
