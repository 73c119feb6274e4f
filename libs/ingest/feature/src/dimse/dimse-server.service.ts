import { createServer, type Server, type Socket } from 'node:net';
import { Implementation } from 'dcmjs-dimse';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HealthRegistry, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { CompletenessPolicy } from '../completeness.policy';
import { INGEST_CONFIG, type IngestConfig } from '../ingest.config';
import { InstanceIntake } from '../instance-intake.service';
import { InstanceStore } from '../instance-store.service';
import { StudyEventsService } from '../study-events.service';
import { DimseSession, type DimseSessionDeps } from './dimse-session';

/**
 * The DICOM DIMSE acceptor (C-ECHO, C-STORE) on DIMSE_HOST:DIMSE_PORT, built on dcmjs-dimse's Scp
 * behind the mesh's PDU guard. Connections beyond DIMSE_MAX_ASSOCIATIONS are still read, to answer
 * their A-ASSOCIATE-RQ with A-ASSOCIATE-RJ (transient, local limit exceeded). Off when DIMSE_PORT is unset.
 */
@Injectable()
export class DimseServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private active = 0;
  private readonly log: Logger;
  private readonly deps: DimseSessionDeps;

  constructor(
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    store: InstanceStore,
    intake: InstanceIntake,
    events: StudyEventsService,
    policy: CompletenessPolicy,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'dimse' });
    this.deps = { config, store, intake, events, policy, log: this.log };
  }

  /** The bound port (useful when DIMSE_PORT asks for an ephemeral one in tests), undefined when off. */
  port(): number | undefined {
    const address = this.server?.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  /** Associations being served now (rejected over-limit connections not counted). */
  activeAssociations(): number {
    return this.active;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.DIMSE_PORT;
    if (port === undefined) {
      this.log.info('DIMSE acceptor off (DIMSE_PORT not set)');
      return;
    }
    if (this.deps.policy.sources.any) this.log.warn('DIMSE_SOURCES admits any calling AE title; list the senders in production');
    // The library caps the Maximum Length it announces at this process-wide value (256 KiB by default).
    Implementation.setMaxPduLength(this.config.DIMSE_MAX_PDU_BYTES);
    const server = createServer((socket) => this.accept(socket));
    // Beyond the limit connections are answered with A-ASSOCIATE-RJ; far beyond it they are refused outright.
    server.maxConnections = this.config.DIMSE_MAX_ASSOCIATIONS * 2 + 8;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.DIMSE_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ reason: err.message }, 'DIMSE listener error'));
    this.server = server;
    this.health.register('dimse', async () => {
      if (!server.listening) throw new Error('DIMSE listener not listening');
    });
    this.log.info({ aeTitle: this.config.DIMSE_AE_TITLE, host: this.config.DIMSE_HOST, port: this.port() }, 'DIMSE acceptor listening');
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const overLimit = this.active >= this.config.DIMSE_MAX_ASSOCIATIONS;
    if (!overLimit) this.active++;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!overLimit) this.active--;
    });
    socket.on('error', () => undefined); // reported through the session; never an unhandled 'error'
    new DimseSession(socket, this.deps, overLimit);
  }

  /** First at shutdown: no new instances while the index is written; an instance mid-transfer is discarded (never acknowledged). */
  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }
}
