import { Module } from '@nestjs/common';
import { ReportingMessageController } from './reporting.message.controller';
import { ReportingService } from './reporting.service';

/** The reporting service: FHIR R4 DiagnosticReports from triage decisions. */
@Module({ controllers: [ReportingMessageController], providers: [ReportingService] })
export class ReportingFeatureModule {}
