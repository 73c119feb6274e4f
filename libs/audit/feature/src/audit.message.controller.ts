import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  EVENTS,
  type Envelope,
  type InferenceCompleted,
  type PriorityDecided,
  type ReportIssued,
  type StudyReceived,
} from '@triage/contracts';
import { MeshEventHandler } from '@triage/nest-platform';
import { AuditService } from './audit.service';

/** The audit service's consumers: every event of the thin flow, parsed by the transport, recorded as is. */
@Controller()
export class AuditMessageController {
  constructor(private readonly audit: AuditService) {}

  @MeshEventHandler(EVENTS.studyReceived, 'audit')
  async onStudyReceived(@Payload() env: Envelope<StudyReceived>): Promise<void> {
    await this.audit.record(env, EVENTS.studyReceived.topic);
  }

  @MeshEventHandler(EVENTS.inferenceCompleted, 'audit')
  async onInferenceCompleted(@Payload() env: Envelope<InferenceCompleted>): Promise<void> {
    await this.audit.record(env, EVENTS.inferenceCompleted.topic);
  }

  @MeshEventHandler(EVENTS.priorityDecided, 'audit')
  async onPriorityDecided(@Payload() env: Envelope<PriorityDecided>): Promise<void> {
    await this.audit.record(env, EVENTS.priorityDecided.topic);
  }

  @MeshEventHandler(EVENTS.reportIssued, 'audit')
  async onReportIssued(@Payload() env: Envelope<ReportIssued>): Promise<void> {
    await this.audit.record(env, EVENTS.reportIssued.topic);
  }
}
