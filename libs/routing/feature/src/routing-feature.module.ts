import { Module } from '@nestjs/common';
import { RoutingMessageController } from './routing.message.controller';
import { RoutingService } from './routing.service';

/** The routing service: priority decisions from AI findings and context. */
@Module({ controllers: [RoutingMessageController], providers: [RoutingService] })
export class RoutingFeatureModule {}
