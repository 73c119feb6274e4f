import { BaseRpcContext } from '@nestjs/microservices';

export interface MeshEventContextData {
  topic: string;
  partition: number;
  offset: string;
  groupId: string;
  headers: Record<string, string>;
  /** Delivery attempt of this message (1 = first). */
  attempt: number;
  /** The last attempt before the message is dead-lettered (see DeliveryControl.finalAttempt). */
  finalAttempt: boolean;
}

/** What a handler can learn about the message it is handling (`@Ctx()`). */
export class MeshEventContext extends BaseRpcContext<[MeshEventContextData]> {
  get data(): MeshEventContextData {
    return this.args[0];
  }
}
