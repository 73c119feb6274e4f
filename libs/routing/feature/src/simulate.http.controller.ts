import { Body, Controller, Get, HttpCode, Inject, Post, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { formatSimulation, parseRuleSet, simulate, type RuleSet } from '@triage/routing-domain';
import { parseRequest, SimulateSchema } from './dto/routing.dto';
import { RoutingErrorCode, RoutingException } from './routing.exception';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing.options';
import { RoutingStore } from './routing.store';
import { parseRecordedStudies, recordedFromState } from './simulate.input';

/**
 * POST /routing/simulate { draft, studies?, onlyChanged? }: replays recorded studies (or, without
 * `studies`, every study routing holds) against the running rule set and a draft, and answers what would
 * change (JSON; `?format=text` for the table the CLI prints). GET /routing/rule-set: the running rule set.
 */
@Controller('routing')
export class SimulateHttpController {
  constructor(
    private readonly store: RoutingStore,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
  ) {}

  @Get('rule-set')
  ruleSet(): RuleSet {
    return this.options.ruleSet;
  }

  @Post('simulate')
  @HttpCode(200)
  simulate(@Body() body: unknown, @Query('format') format: string | undefined, @Res() res: ServerResponse): void {
    const req = parseRequest(SimulateSchema, body, 'simulation request');
    let draft: RuleSet;
    try {
      draft = parseRuleSet(req.draft);
    } catch (err) {
      throw new RoutingException(RoutingErrorCode.InvalidRuleSet, err instanceof Error ? err.message : String(err));
    }
    let studies;
    try {
      studies = req.studies ? parseRecordedStudies(req.studies) : recordedFromState(this.store.state);
    } catch (err) {
      throw new RoutingException(RoutingErrorCode.InvalidRequest, err instanceof Error ? err.message : String(err));
    }
    const result = simulate(this.options.ruleSet, draft, studies);
    const text = format === 'text';
    const data = text ? `${formatSimulation(result, req.onlyChanged)}\n` : JSON.stringify(req.onlyChanged ? { ...result, studies: result.studies.filter((s) => s.change !== 'unchanged') } : result);
    res.writeHead(200, { 'Content-Type': text ? 'text/plain; charset=utf-8' : 'application/json', 'Content-Length': String(Buffer.byteLength(data)) });
    res.end(data);
  }
}
