import {
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OnModuleInit,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import type { Logger } from '@triage/observability';
import { AuditRepository } from './audit.repository';
import { LineageExportRepository } from './lineage-export.repository';
import { QualityRepository } from './quality.repository';
import { RetentionRepository } from './retention.repository';
import type { DatabaseSettings, DatabaseTarget } from './db/database-target';
import { createPrismaClient, type AuditDatabase } from './db/prisma-client.factory';
import { PrismaClient } from './generated/prisma/client';

/** The open AuditDatabase handle (Prisma client, target, ping, close). */
export const AUDIT_DATABASE = Symbol('AUDIT_DATABASE');
const AUDIT_DATA_OPTIONS = Symbol('AUDIT_DATA_OPTIONS');

export interface AuditDataOptions {
  /** The process configuration (MeshConfig fits): DATABASE_URL, DATA_DIR. Or an explicit target. */
  database: DatabaseSettings | DatabaseTarget;
  /**
   * Apply pending migrations in-process at start. Defaults to true for embedded PGlite only: the
   * process owns that database exclusively, so the CLI cannot migrate it while the service runs.
   * PostgreSQL is migrated as a deployment step (`nx run audit-data-access:db-migrate`), never here.
   */
  applyMigrations?: boolean;
  /** Registers a readiness check (the platform's HealthRegistry.register). */
  registerReadiness?: (name: string, check: () => Promise<void>) => void;
  logger?: Logger;
}

export interface AuditDataModuleOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...deps: never[]) => AuditDataOptions | Promise<AuditDataOptions>;
}

/**
 * The audit store as a Nest module: provides the PrismaClient, the AuditDatabase handle and the
 * AuditRepository, registers the `database` readiness check and disconnects on shutdown. Not global.
 * Its configuration is injected (see AuditFeatureModule, which reads MESH_CONFIG and HealthRegistry),
 * because a data-access library may not depend on the platform's feature library.
 */
@Module({})
export class AuditDataModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(AUDIT_DATABASE) private readonly db: AuditDatabase,
    @Inject(AUDIT_DATA_OPTIONS) private readonly options: AuditDataOptions,
  ) {}

  static forRoot(opts: AuditDataModuleOptions): DynamicModule {
    return {
      module: AuditDataModule,
      imports: opts.imports ?? [],
      providers: [
        { provide: AUDIT_DATA_OPTIONS, useFactory: opts.useFactory, inject: opts.inject ?? [] },
        {
          provide: AUDIT_DATABASE,
          inject: [AUDIT_DATA_OPTIONS],
          useFactory: async (o: AuditDataOptions): Promise<AuditDatabase> => {
            const log = o.logger?.child({ component: 'audit-db' });
            const db = await createPrismaClient(o.database, {
              applyMigrations: o.applyMigrations ?? isEmbedded(o.database),
              onMigrated: (r) => log?.info({ applied: r.applied, alreadyApplied: r.alreadyApplied.length }, 'audit store migrations checked'),
            });
            log?.info({ database: db.description }, 'audit store open');
            return db;
          },
        },
        { provide: PrismaClient, inject: [AUDIT_DATABASE], useFactory: (db: AuditDatabase) => db.prisma },
        { provide: AuditRepository, inject: [AUDIT_DATABASE], useFactory: (db: AuditDatabase) => AuditRepository.of(db) },
        { provide: QualityRepository, inject: [AUDIT_DATABASE], useFactory: (db: AuditDatabase) => new QualityRepository(db.prisma) },
        { provide: LineageExportRepository, inject: [AUDIT_DATABASE], useFactory: (db: AuditDatabase) => new LineageExportRepository(db.prisma) },
        { provide: RetentionRepository, inject: [AUDIT_DATABASE], useFactory: (db: AuditDatabase) => new RetentionRepository(db.prisma) },
      ],
      exports: [AUDIT_DATABASE, PrismaClient, AuditRepository, QualityRepository, LineageExportRepository, RetentionRepository],
    };
  }

  onModuleInit(): void {
    this.options.registerReadiness?.('database', () => this.db.ping());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

function isEmbedded(database: DatabaseSettings | DatabaseTarget): boolean {
  return 'kind' in database ? database.kind === 'pglite' : !database.DATABASE_URL?.trim();
}
