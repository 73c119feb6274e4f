import { createServer, type Server } from 'node:http';
import { verifyWebhook } from '@triage/routing-domain';
import { freePort, waitFor } from '@triage/testing';
import { ICH, PATIENT, run, startRouting, study, T0, type RoutingTestApp } from './routing-test.harness';

const SECRET = 'unit-webhook-secret-0042';

interface Hit {
  path: string;
  id: string;
  verified: boolean;
  body: string;
}

describe('signed webhooks with retries', () => {
  let server: Server;
  let r: RoutingTestApp;
  const hits: Hit[] = [];
  // Answers per path, in order; the last one repeats.
  const answers: Record<string, number[]> = { '/platform': [503, 204], '/pager': [204], '/refuses': [400] };

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = (n: string) => String(req.headers[n] ?? '');
        const id = h('webhook-id');
        const path = req.url ?? '';
        hits.push({ path, id, body, verified: verifyWebhook(SECRET, { id, timestamp: h('webhook-timestamp'), signature: h('webhook-signature') }, body, Math.floor(T0.getTime() / 1000)) });
        const list = answers[path] ?? [404];
        const n = hits.filter((x) => x.path === path).length;
        res.writeHead(list[Math.min(n, list.length) - 1]).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${port}`;
    r = await startRouting({
      env: { ROUTING_WEBHOOK_URLS: `${base}/platform,${base}/refuses`, ROUTING_PAGER_URL: `${base}/pager`, ROUTING_WEBHOOK_SECRET: SECRET, ROUTING_WEBHOOK_RETRY_BASE_MS: '1000' },
    });
  });

  afterAll(async () => {
    await r.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('retries a failed delivery with the same id, gives up on a refusal, and sends no patient data', async () => {
    const ct = study('head-ct', { patientClass: 'emergency' }, T0);
    await r.send(ct, [run([ICH])]);
    const logged = (msg: string) => r.logLines.some((l) => l.includes(msg));
    // The first pass: delivered to the pager, refused by one platform, failed (503) at the other.
    await waitFor(() => logged('webhook attempt failed') && logged('webhook failed for good') && logged('webhook delivered'), { description: 'first attempts' });
    expect(hits).toHaveLength(3);
    r.advance(0.05); // past the first backoff (1 s ± 20 %)
    await r.tick();
    await waitFor(() => hits.filter((h) => h.path === '/platform').length === 2, { description: 'the retry' });
    r.advance(1);
    await r.tick();

    const platform = hits.filter((h) => h.path === '/platform');
    expect(platform).toHaveLength(2);
    expect(new Set(platform.map((h) => h.id)).size).toBe(1);
    expect(hits.filter((h) => h.path === '/refuses')).toHaveLength(1);
    expect(hits.every((h) => h.verified)).toBe(true);
    const body = JSON.parse(platform[0].body);
    expect(body).toEqual({
      id: platform[0].id,
      type: 'priority.changed',
      study: { studyInstanceUid: ct.studyInstanceUid, site: 'S1', modalities: ['CT'], bodyPart: 'HEAD' },
      priority: 'critical',
      previousPriority: null,
      score: 150,
      ruleSetVersion: '2026.11.0',
      reasons: expect.any(Array),
      at: T0.toISOString(),
    });
    const page = JSON.parse(hits.find((h) => h.path === '/pager')!.body);
    expect(page).toMatchObject({ type: 'alert.changed', action: 'raised', recipient: 'neo', role: 'assigned-reader', ackDeadline: '2026-11-23T10:05:00.000Z' });
    const text = hits.map((h) => h.body).join('\n');
    for (const phi of [PATIENT.id, 'UNITTEST', PATIENT.birthDate, ct.accessionNumber!]) expect(text).not.toContain(phi);
    expect(r.logLines.some((l) => l.includes('webhook failed for good') && l.includes('HTTP 400'))).toBe(true);
  });
});
