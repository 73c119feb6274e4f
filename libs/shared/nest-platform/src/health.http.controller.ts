import { Controller, Get, HttpCode, HttpException, HttpStatus } from '@nestjs/common';
import { HealthRegistry, type HealthReport } from './health.registry';

/** Liveness (the process answers) and readiness (its bus, database and stores answer). */
@Controller('health')
export class HealthHttpController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(): Promise<HealthReport> {
    const report = await this.registry.run();
    if (report.status !== 'ok') throw new HttpException(report, HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
