import { createServer, type Server } from 'node:http';
import { verifyWebhook } from '@triage/routing-domain';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The Standard Webhooks signature checked with the shared secret. */
  verified: boolean;
}

/** A platform receiving the mesh's signed webhooks on 127.0.0.1 (what a tele-radiology platform or pager gateway runs). */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server: Server | undefined;

  constructor(private readonly secret: string) {}

  async start(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = (name: string) => String(req.headers[name] ?? '');
        const headers = { id: h('webhook-id'), timestamp: h('webhook-timestamp'), signature: h('webhook-signature') };
        const verified = verifyWebhook(this.secret, headers, body, Math.floor(Date.now() / 1000));
        this.received.push({ path: req.url ?? '', headers: { ...headers, event: h('x-triage-event') }, body, verified });
        res.writeHead(verified ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
