import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { EVENTS, type Envelope, type StudyReceived } from '@triage/contracts';
import { MeshEventContext, MeshEventHandler } from '@triage/nest-platform';
import { InferenceService } from './inference.service';

/** Kafka edge of the inference service: the transport has parsed the envelope; this delegates. */
@Controller()
export class InferenceMessageController {
  constructor(private readonly inference: InferenceService) {}

  @MeshEventHandler(EVENTS.studyReceived, 'inference')
  async onStudyReceived(@Payload() env: Envelope<StudyReceived>, @Ctx() ctx: MeshEventContext): Promise<void> {
    await this.inference.handleStudyReceived(env, { finalAttempt: ctx.data.finalAttempt });
  }
}
