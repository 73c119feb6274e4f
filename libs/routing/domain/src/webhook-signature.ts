import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks (standardwebhooks.com) headers: id, timestamp (Unix seconds) and `v1,<base64 HMAC-SHA256>`. */
export const WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

function key(secret: string): Buffer {
  // A `whsec_` secret is base64 after the prefix, as Standard Webhooks issues them; anything else is used as bytes.
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** The signature header value for one delivery attempt: HMAC-SHA256 over `${id}.${timestamp}.${body}`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/**
 * What a receiver does: checks one of the `v1,` signatures and that the timestamp is within `toleranceSeconds`
 * of `nowSeconds` (replay protection). Constant-time comparison.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body));
  return headers.signature.split(' ').some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
