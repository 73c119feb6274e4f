import { Module } from '@nestjs/common';
import { AuditDataModule, type AuditDataOptions } from '@triage/audit-data-access';
import type { MeshConfig } from '@triage/config';
import { HealthRegistry, MESH_CONFIG, ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { AUDIT_CHAIN_SETTINGS, AuditChainService, auditChainSettings } from './audit-chain.service';
import { AUDIT_RETENTION_POLICY, AuditRetentionService } from './audit-retention.service';
import { AuditVerifyHttpController } from './audit-verify.http.controller';
import { retentionPolicy } from '@triage/audit-domain';
import { AuditMessageController } from './audit.message.controller';
import { AuditService } from './audit.service';
import { LineageHttpController } from './lineage.http.controller';
import { QualityHttpController } from './quality.http.controller';
import { QualityService } from './quality.service';

/**
 * The audit service: consumes the four thin-flow events into the audit store and serves lineage over
 * HTTP. The store follows MESH_CONFIG (PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR/db)
 * and reports readiness as `database`. GET /audit/verify checks the hash chain; checkpoints of it are
 * written every AUDIT_CHECKPOINT_INTERVAL_MS to AUDIT_CHECKPOINT_DIR (see AuditChainService). PHI columns
 * older than AUDIT_RETENTION_DAYS are purged every AUDIT_RETENTION_INTERVAL_MS (AuditRetentionService).
 */
@Module({
  imports: [
    AuditDataModule.forRoot({
      inject: [MESH_CONFIG, HealthRegistry, ROOT_LOGGER],
      useFactory: (config: MeshConfig, health: HealthRegistry, logger: Logger): AuditDataOptions => ({
        database: config,
        registerReadiness: (name, check) => health.register(name, check),
        logger,
      }),
    }),
  ],
  controllers: [AuditMessageController, LineageHttpController, AuditVerifyHttpController, QualityHttpController],
  providers: [
    AuditService,
    QualityService,
    { provide: AUDIT_CHAIN_SETTINGS, inject: [MESH_CONFIG], useFactory: (config: MeshConfig) => auditChainSettings(config) },
    AuditChainService,
    { provide: AUDIT_RETENTION_POLICY, useFactory: () => retentionPolicy(process.env) },
    AuditRetentionService,
  ],
})
export class AuditFeatureModule {}
