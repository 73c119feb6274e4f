import { BaseRpcContext } from '@nestjs/microservices';

export interface MeshEventContextData {
  topic: string;
  partition: number;
  offset: string;
  groupId: string;
  headers: Record<string, string>;
}

/** What a handler can learn about the message it is handling (`@Ctx()`). */
export class MeshEventContext extends BaseRpcContext<[MeshEventContextData]> {
  get data(): MeshEventContextData {
    return this.args[0];
  }
}
