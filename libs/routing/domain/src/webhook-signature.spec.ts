import { signWebhook, verifyWebhook } from './webhook-signature';

describe('Standard Webhooks signature', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = 1614265330;

  it('matches the specification example', () => {
    // Example from the Standard Webhooks specification (standardwebhooks.com, "Verifying webhooks").
    expect(signWebhook(secret, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it.each([
    ['the signed body', body, ts, true],
    ['a changed body', body.replace('2', '3'), ts, false],
    ['an old timestamp', body, ts - 301, false],
  ])('verifies %s', (_name, b, sentAt, ok) => {
    const signature = signWebhook(secret, id, sentAt, body);
    expect(verifyWebhook(secret, { id, timestamp: String(sentAt), signature: `v1,bogus ${signature}` }, b, ts)).toBe(ok);
  });
});
