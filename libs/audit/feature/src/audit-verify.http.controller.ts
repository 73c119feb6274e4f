import { Controller, Get } from '@nestjs/common';
import { AuditChainService, type AuditVerification } from './audit-chain.service';

/** GET /audit/verify: walks the audit hash chain and names the first broken link. */
@Controller('audit')
export class AuditVerifyHttpController {
  constructor(private readonly chain: AuditChainService) {}

  @Get('verify')
  verify(): Promise<AuditVerification> {
    return this.chain.verify();
  }
}
