import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ALL_EVENTS } from '@triage/contracts';
import { MeshEventBatchHandler, type MeshBatchItem } from '@triage/nest-platform';
import { AuditService } from './audit.service';

/** Every event the audit service consumes: all topics of the mesh. */
export const AUDITED_EVENTS = ALL_EVENTS.filter((e) => e.consumers.includes('audit'));

/**
 * The audit service's consumer: runs of events per partition, parsed by the transport, recorded in one
 * transaction per run (one chain-lock per run). A failed run is handed back one event at a time.
 */
@Controller()
export class AuditMessageController {
  constructor(private readonly audit: AuditService) {}

  @MeshEventBatchHandler(AUDITED_EVENTS, 'audit')
  async onEvents(@Payload() items: MeshBatchItem[]): Promise<void> {
    await this.audit.recordBatch(items.map((i) => ({ env: i.envelope, topic: i.topic })));
  }
}
