import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EVENTS, type AlertChanged, type Envelope, type PriorityDecided, type ReadSigned, type StudyReceived, type StudyUpdated } from '@triage/contracts';
import { MeshEventHandler } from '@triage/nest-platform';
import { ReportingService } from './reporting.service';

@Controller()
export class ReportingMessageController {
  constructor(private readonly reporting: ReportingService) {}

  @MeshEventHandler(EVENTS.studyReceived, 'reporting')
  handleStudyReceived(@Payload() env: Envelope<StudyReceived>): Promise<void> {
    return this.reporting.onStudyReceived(env);
  }

  @MeshEventHandler(EVENTS.studyUpdated, 'reporting')
  handleStudyUpdated(@Payload() env: Envelope<StudyUpdated>): Promise<void> {
    return this.reporting.onStudyReceived(env);
  }

  @MeshEventHandler(EVENTS.priorityDecided, 'reporting')
  handlePriorityDecided(@Payload() env: Envelope<PriorityDecided>): Promise<void> {
    return this.reporting.onPriorityDecided(env);
  }

  @MeshEventHandler(EVENTS.readSigned, 'reporting')
  handleReadSigned(@Payload() env: Envelope<ReadSigned>): Promise<void> {
    return this.reporting.onReadSigned(env);
  }

  @MeshEventHandler(EVENTS.alertChanged, 'reporting')
  handleAlertChanged(@Payload() env: Envelope<AlertChanged>): Promise<void> {
    return this.reporting.onAlertChanged(env);
  }
}
