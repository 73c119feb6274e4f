import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MllpDecoder, mllpFrame } from '@triage/mllp';
import { HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { Hl7IntakeService } from './hl7-intake.service';
import { ORDERS_CONFIG, type OrdersConfig } from './orders.config';

/**
 * The MLLP listener. Our own framing (MllpDecoder) sits in front of the HL7 parser because @medplum/hl7's
 * Hl7Connection reads a message only when one TCP read ends in <FS><CR>: end bytes in a separate segment,
 * or two messages in one read, are lost there (and its server listens on every interface). Messages of
 * one connection are handled one after another, so ACKs go back in the order the messages came.
 */
@Injectable()
export class MllpServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | undefined;
  /** Open connections, each with the promise of its last queued message. */
  private readonly sockets = new Map<Socket, Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly intake: Hl7IntakeService,
    @Inject(ORDERS_CONFIG) private readonly config: OrdersConfig,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'mllp' });
  }

  /** The listening address, or undefined when the listener is off. */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.HL7_MLLP_PORT === '') return;
    const server = createServer((socket) => this.serve(socket));
    server.maxConnections = this.config.HL7_MLLP_MAX_CONNECTIONS;
    server.on('drop', () => this.log.warn({ max: this.config.HL7_MLLP_MAX_CONNECTIONS }, 'MLLP connection refused: too many connections'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.HL7_MLLP_PORT as number, this.config.HL7_MLLP_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ reason: err.message }, 'MLLP listener error'));
    this.server = server;
    this.health.register('mllp', async () => {
      if (!this.server?.listening) throw new Error('MLLP listener not listening');
    });
    this.log.info({ host: this.config.HL7_MLLP_HOST, port: this.address()?.port }, 'MLLP listener started');
  }

  /** First of the shutdown hooks: no new connections; messages already read are stored and answered. */
  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const force = setTimeout(() => this.sockets.forEach((_q, s) => s.destroy()), 5000);
    force.unref();
    await Promise.all([...this.sockets].map(async ([socket, queue]) => {
      await queue;
      socket.end();
    }));
    await closed;
    clearTimeout(force);
  }

  private serve(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    // A sender that went quiet mid-frame (or holds an idle connection for ever) is disconnected.
    socket.setTimeout(this.config.HL7_MLLP_IDLE_TIMEOUT_MS, () => {
      this.log.info({ buffered: decoder.buffered }, 'idle MLLP connection closed');
      socket.destroy();
    });
    this.sockets.set(socket, Promise.resolve());
    const decoder = new MllpDecoder(this.config.HL7_MAX_MESSAGE_BYTES);
    let queue = Promise.resolve();
    let warnedStart = false;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === 'garbage') {
          this.log.warn({ bytes: frame.bytes }, 'bytes outside an MLLP frame dropped');
          continue;
        }
        if (frame.kind === 'message' && frame.missingStartBlock && !warnedStart) {
          warnedStart = true;
          this.log.warn({}, 'MLLP frame without the 0x0B start block accepted');
        }
        queue = queue.then(async () => {
          const answers = frame.kind === 'message' ? await this.intake.handle(frame.payload) : [this.intake.oversize(frame.head)];
          for (const a of answers) if (!socket.destroyed) socket.write(mllpFrame(Buffer.from(a, 'utf8')));
        }).catch((err: Error) => {
          // An unexpected failure: no ACK means the sender resends; the connection is closed to say so.
          this.log.error({ reason: err.message }, 'HL7 message handling failed; closing the connection');
          socket.destroy();
        });
        this.sockets.set(socket, queue);
      }
    });
    socket.on('error', (err) => this.log.debug({ reason: err.message }, 'MLLP connection error'));
    socket.on('close', () => this.sockets.delete(socket));
  }
}
