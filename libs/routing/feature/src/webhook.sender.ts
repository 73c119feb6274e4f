import { signWebhook, WEBHOOK_HEADERS } from '@triage/routing-domain';

export type WebhookOutcome = { ok: true; status: number } | { ok: false; permanent: boolean; detail: string };

/** Posts one signed webhook attempt (JSON body); a fresh timestamp per attempt, the same id across retries. */
export async function sendWebhook(url: string, secret: string, id: string, eventType: string, body: string, timeoutMs: number, now: Date): Promise<WebhookOutcome> {
  const ts = Math.floor(now.getTime() / 1000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_HEADERS.id]: id,
        [WEBHOOK_HEADERS.timestamp]: String(ts),
        [WEBHOOK_HEADERS.signature]: signWebhook(secret, id, ts, body),
        'x-triage-event': eventType,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true, status: res.status };
    // A 4xx other than 408/429 means the receiver refuses this message: retrying it cannot help.
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    return { ok: false, permanent, detail: `HTTP ${res.status}` };
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, permanent: false, detail: detail.slice(0, 200) };
  }
}
