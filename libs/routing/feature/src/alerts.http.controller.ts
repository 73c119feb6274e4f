import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import type { OpenAlert } from '@triage/routing-domain';
import { z } from 'zod';
import { parseRequest, ReaderActionSchema } from './dto/routing.dto';
import { RoutingAlerts } from './routing.alerts';
import { RoutingErrorCode, RoutingException } from './routing.exception';
import { RoutingStore } from './routing.store';

/** An alert as the API shows it: reader ids, times and finding codes; no patient data. */
export interface AlertView {
  alertId: string;
  studyInstanceUid: string;
  raisedAt: string;
  steps: Array<{ role: string; readerId: string; ackMinutes: number; notifiedAt?: string }>;
  acknowledged?: { readerId: string; at: string };
  findings: Array<{ label: string; code: OpenAlert['findings'][number]['code']; probability: number }>;
}

function view(a: OpenAlert): AlertView {
  return {
    alertId: a.alertId,
    studyInstanceUid: a.studyInstanceUid,
    raisedAt: a.raisedAt,
    steps: a.steps.map((s, i) => ({ ...s, notifiedAt: a.notifiedAt[i] })),
    acknowledged: a.acknowledged,
    findings: a.findings.map((f) => ({ label: f.label, code: f.code, probability: f.probability })),
  };
}

const StateQuery = z.object({ state: z.enum(['open', 'all']).default('open'), studyInstanceUid: z.string().max(64).optional() }).strict();
const AlertId = z.uuid();

/** GET /alerts (?state=open|all, ?studyInstanceUid=), GET /alerts/:id, POST /alerts/:id/acknowledge { readerId }. */
@Controller('alerts')
export class AlertsHttpController {
  constructor(
    private readonly store: RoutingStore,
    private readonly alerts: RoutingAlerts,
  ) {}

  @Get()
  list(@Query() query: Record<string, unknown>): { alerts: AlertView[] } {
    const q = parseRequest(StateQuery, query, 'alerts query');
    const all = [...this.store.state.alerts.values()].filter((a) => (q.state === 'all' || !a.acknowledged) && (q.studyInstanceUid === undefined || a.studyInstanceUid === q.studyInstanceUid));
    return { alerts: all.map(view) };
  }

  @Get(':alertId')
  get(@Param('alertId') id: string): AlertView {
    const a = this.store.state.alerts.get(parseRequest(AlertId, id, 'alert id'));
    if (!a) throw new RoutingException(RoutingErrorCode.AlertNotFound, `no alert ${id}`);
    return view(a);
  }

  @Post(':alertId/acknowledge')
  @HttpCode(200)
  async acknowledge(@Param('alertId') id: string, @Body() body: unknown): Promise<AlertView> {
    const { readerId } = parseRequest(ReaderActionSchema, body, 'acknowledgement');
    return view(await this.alerts.acknowledge(parseRequest(AlertId, id, 'alert id'), readerId));
  }
}
