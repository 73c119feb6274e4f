import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { signWebhook, WEBHOOK_HEADERS } from '@triage/routing-domain';

export type WebhookOutcome = { ok: true; status: number } | { ok: false; permanent: boolean; detail: string };

function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // A fresh connection per attempt (agent: false): webhooks are few, and a receiver's closed idle socket cannot stall a retry.
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts one signed webhook attempt (JSON body); a fresh timestamp per attempt, the same id across retries. */
export async function sendWebhook(url: string, secret: string, id: string, eventType: string, body: string, timeoutMs: number, now: Date): Promise<WebhookOutcome> {
  const ts = Math.floor(now.getTime() / 1000);
  const headers = {
    'content-type': 'application/json',
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(ts),
    [WEBHOOK_HEADERS.signature]: signWebhook(secret, id, ts, body),
    'x-triage-event': eventType,
  };
  try {
    const status = await post(new URL(url), headers, body, timeoutMs);
    if (status >= 200 && status < 300) return { ok: true, status };
    // A 4xx other than 408/429 means the receiver refuses this message: retrying it cannot help.
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    return { ok: false, permanent, detail: `HTTP ${status}` };
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, permanent: false, detail: detail.slice(0, 200) };
  }
}
