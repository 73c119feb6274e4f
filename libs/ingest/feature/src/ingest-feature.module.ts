import { Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '@triage/nest-platform';
import { CompletenessPolicy } from './completeness.policy';
import { DicomwebQueryService } from './dicomweb-query.service';
import { DimseServer } from './dimse/dimse-server.service';
import { DicomwebUrls } from './dicomweb-urls.service';
import { INGEST_CONFIG, loadIngestConfig } from './ingest.config';
import { InstanceIntake } from './instance-intake.service';
import { InstanceStore } from './instance-store.service';
import { ORDER_CONTROLLERS, orderProviders } from './orders';
import { StowHttpController } from './stow.http.controller';
import { StowService } from './stow.service';
import { StudyEventsService } from './study-events.service';
import { StudyIndex } from './study-index.service';
import { WadoHttpController } from './wado.http.controller';

const PROVIDERS = [
  InstanceStore,
  StudyIndex,
  InstanceIntake,
  CompletenessPolicy,
  StudyEventsService,
  DicomwebUrls,
  StowService,
  DicomwebQueryService,
  DimseServer,
];

/**
 * The ingest service's DICOMweb edge: STOW-RS in, WADO-RS and QIDO-RS out, over the instance store and
 * the study index, publishing study.received. Import it as is (settings from the environment) or with
 * `forRoot(env)` to override settings (tests).
 */
@Module({
  controllers: [StowHttpController, WadoHttpController, ...ORDER_CONTROLLERS],
  providers: [...PROVIDERS, ...orderProviders(process.env), { provide: INGEST_CONFIG, useFactory: () => loadIngestConfig(process.env) }],
  exports: [InstanceStore, StudyIndex, StudyEventsService],
})
export class IngestFeatureModule implements OnModuleInit {
  constructor(
    private readonly store: InstanceStore,
    private readonly index: StudyIndex,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
  ) {}

  static forRoot(env: Record<string, string | undefined> = process.env): DynamicModule {
    return {
      module: IngestFeatureModule,
      controllers: [StowHttpController, WadoHttpController, ...ORDER_CONTROLLERS],
      providers: [...PROVIDERS, ...orderProviders(env), { provide: INGEST_CONFIG, useValue: loadIngestConfig(env) }],
      exports: [InstanceStore, StudyIndex, StudyEventsService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.store.prepare();
    await this.index.load();
    this.health.register('storage', () => this.store.checkWritable());
  }
}
