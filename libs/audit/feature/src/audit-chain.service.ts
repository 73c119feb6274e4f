import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  parseCheckpoint,
  PrismaClient,
  verifyAgainstCheckpoint,
  verifyChain,
  writeCheckpoint,
  type ChainCheckpoint,
  type ChainVerification,
  type CheckpointVerification,
} from '@triage/audit-data-access';
import type { MeshConfig } from '@triage/config';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { PeriodicJob } from './periodic-job';

/** Where and how often the audit service writes chain checkpoints. */
export interface AuditChainSettings {
  /** 0 = no periodic checkpoints. */
  intervalMs: number;
  dir: string;
}

export const AUDIT_CHAIN_SETTINGS = Symbol('AUDIT_CHAIN_SETTINGS');

const DEFAULT_INTERVAL_MS = 15 * 60_000;

/**
 * Checkpoint settings: AUDIT_CHECKPOINT_INTERVAL_MS (default 15 minutes, but off under NODE_ENV=test
 * unless set) and AUDIT_CHECKPOINT_DIR (default `${DATA_DIR}/audit-checkpoints`).
 */
export function auditChainSettings(config: Pick<MeshConfig, 'DATA_DIR'>, env: NodeJS.ProcessEnv = process.env): AuditChainSettings {
  const raw = env.AUDIT_CHECKPOINT_INTERVAL_MS?.trim();
  let intervalMs = env.NODE_ENV === 'test' ? 0 : DEFAULT_INTERVAL_MS;
  if (raw) {
    if (!/^\d+$/.test(raw)) throw new Error('AUDIT_CHECKPOINT_INTERVAL_MS must be a whole number of milliseconds (0 = off)');
    intervalMs = Number(raw);
  }
  return { intervalMs, dir: env.AUDIT_CHECKPOINT_DIR?.trim() || join(config.DATA_DIR, 'audit-checkpoints') };
}

/** The chain verdict served by GET /audit/verify: the chain itself and, when one exists, the latest checkpoint. */
export interface AuditVerification extends ChainVerification {
  checkpoint?: CheckpointVerification & { at: string; lastId: string };
}

/** Verifies the audit hash chain and writes checkpoints of it, periodically when configured. */
@Injectable()
export class AuditChainService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: Logger;
  // A slow verification must not overlap the next one.
  private readonly job = new PeriodicJob(
    () => this.checkpoint(),
    (err) => this.log.error({ err: err.message }, 'audit chain checkpoint failed'),
  );

  constructor(
    private readonly prisma: PrismaClient,
    @Inject(AUDIT_CHAIN_SETTINGS) private readonly settings: AuditChainSettings,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit-chain' });
  }

  /** Walks the chain, then checks it against the newest checkpoint file, if any. */
  async verify(): Promise<AuditVerification> {
    const chain = await verifyChain(this.prisma);
    const latest = this.latestCheckpoint();
    if (!latest) return chain;
    const against = await verifyAgainstCheckpoint(this.prisma, latest);
    return { ...chain, ok: chain.ok && against.ok, checkpoint: { ...against, at: latest.at, lastId: latest.lastId } };
  }

  /** Writes one checkpoint (after verifying the chain, and against the previous checkpoint). */
  async checkpoint(): Promise<ChainCheckpoint | undefined> {
    const v = await this.verify();
    if (!v.ok) {
      this.log.error({ brokenLink: v.firstBrokenLink, checkpoint: v.checkpoint }, 'audit chain verification failed: no checkpoint written');
      return undefined;
    }
    const cp = await writeCheckpoint(this.prisma, this.settings.dir);
    this.log.info({ lastId: cp.lastId, count: cp.count, file: cp.file }, 'audit chain checkpoint written');
    return cp;
  }

  /** The newest checkpoint in the directory (file names sort by time), or undefined. */
  latestCheckpoint(): ChainCheckpoint | undefined {
    let names: string[];
    try {
      names = readdirSync(this.settings.dir).filter((n) => /^audit-checkpoint-.*\.json$/.test(n));
    } catch {
      return undefined; // no directory yet: nothing checkpointed
    }
    const newest = names.sort().at(-1);
    return newest ? parseCheckpoint(readFileSync(join(this.settings.dir, newest), 'utf8')) : undefined;
  }

  onApplicationBootstrap(): void {
    if (this.settings.intervalMs <= 0) return;
    this.job.start(this.settings.intervalMs);
    this.log.info({ intervalMs: this.settings.intervalMs, dir: this.settings.dir }, 'audit chain checkpoints scheduled');
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }
}
