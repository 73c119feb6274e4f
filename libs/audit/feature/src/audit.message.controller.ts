import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  EVENTS,
  type AlertChanged,
  type AssignmentChanged,
  type DeliveryRecorded,
  type Envelope,
  type InferenceCompleted,
  type PriorityDecided,
  type ReadSigned,
  type ReportIssued,
  type StudyReceived,
  type StudyUpdated,
} from '@triage/contracts';
import { MeshEventHandler } from '@triage/nest-platform';
import { AuditService } from './audit.service';

/** The audit service's consumers: every event of the mesh, parsed by the transport, recorded as is. */
@Controller()
export class AuditMessageController {
  constructor(private readonly audit: AuditService) {}

  @MeshEventHandler(EVENTS.studyReceived, 'audit')
  async onStudyReceived(@Payload() env: Envelope<StudyReceived>): Promise<void> {
    await this.audit.record(env, EVENTS.studyReceived.topic);
  }

  @MeshEventHandler(EVENTS.studyUpdated, 'audit')
  async onStudyUpdated(@Payload() env: Envelope<StudyUpdated>): Promise<void> {
    await this.audit.record(env, EVENTS.studyUpdated.topic);
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

  @MeshEventHandler(EVENTS.assignmentChanged, 'audit')
  async onAssignmentChanged(@Payload() env: Envelope<AssignmentChanged>): Promise<void> {
    await this.audit.record(env, EVENTS.assignmentChanged.topic);
  }

  @MeshEventHandler(EVENTS.alertChanged, 'audit')
  async onAlertChanged(@Payload() env: Envelope<AlertChanged>): Promise<void> {
    await this.audit.record(env, EVENTS.alertChanged.topic);
  }

  @MeshEventHandler(EVENTS.readSigned, 'audit')
  async onReadSigned(@Payload() env: Envelope<ReadSigned>): Promise<void> {
    await this.audit.record(env, EVENTS.readSigned.topic);
  }

  @MeshEventHandler(EVENTS.deliveryRecorded, 'audit')
  async onDeliveryRecorded(@Payload() env: Envelope<DeliveryRecorded>): Promise<void> {
    await this.audit.record(env, EVENTS.deliveryRecorded.topic);
  }
}
