import { Module } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG } from '@triage/nest-platform';
import { FhirHttpController } from './fhir-endpoint/fhir.http.controller';
import { ReportingFhirService } from './fhir-endpoint/reporting-fhir.service';
import { ReportingMessageController } from './reporting.message.controller';
import { loadReportingOptions, REPORTING_OPTIONS } from './reporting.options';
import { ReportingService } from './reporting.service';

/** The reporting service: validated FHIR R4 resources and HL7 v2 messages, delivered through a durable outbox. */
@Module({
  controllers: [ReportingMessageController, FhirHttpController],
  providers: [
    { provide: REPORTING_OPTIONS, useFactory: (config: MeshConfig) => loadReportingOptions(process.env, config), inject: [MESH_CONFIG] },
    ReportingService,
    ReportingFhirService,
  ],
})
export class ReportingFeatureModule {}
