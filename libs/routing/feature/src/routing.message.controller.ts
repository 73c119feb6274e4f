import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { EVENTS, type Envelope, type InferenceCompleted, type StudyUpdated } from '@triage/contracts';
import { MeshEventHandler } from '@triage/nest-platform';
import { RoutingService } from './routing.service';

@Controller()
export class RoutingMessageController {
  constructor(private readonly routing: RoutingService) {}

  @MeshEventHandler(EVENTS.inferenceCompleted, 'routing')
  handleInferenceCompleted(@Payload() env: Envelope<InferenceCompleted>): Promise<void> {
    return this.routing.onInferenceCompleted(env);
  }

  @MeshEventHandler(EVENTS.studyUpdated, 'routing')
  handleStudyUpdated(@Payload() env: Envelope<StudyUpdated>): Promise<void> {
    return this.routing.onStudyUpdated(env);
  }
}
