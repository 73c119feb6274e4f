import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EVENTS, type Envelope, type PriorityDecided } from '@triage/contracts';
import { MeshEventHandler } from '@triage/nest-platform';
import { ReportingService } from './reporting.service';

@Controller()
export class ReportingMessageController {
  constructor(private readonly reporting: ReportingService) {}

  @MeshEventHandler(EVENTS.priorityDecided, 'reporting')
  handlePriorityDecided(@Payload() env: Envelope<PriorityDecided>): Promise<void> {
    return this.reporting.onPriorityDecided(env);
  }
}
