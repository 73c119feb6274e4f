import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Delete, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FhirAnswer } from './own-fhir-endpoint';
import { FHIR_BASE_PATH, ReportingFhirService } from './reporting-fhir.service';

type QueryParams = Record<string, string | string[] | undefined>;

function send(res: ServerResponse, answer: FhirAnswer): void {
  res.writeHead(answer.status, { 'content-type': 'application/fhir+json; charset=utf-8' });
  res.end(JSON.stringify(answer.body));
}

const NOT_JSON = Symbol('not JSON');
const MAX_BODY = 1 << 20;

/** The request's JSON body: Nest parses application/json; application/fhir+json arrives unread. */
async function readFhirJson(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  if (req.body !== undefined && !(typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0)) return req.body;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return NOT_JSON;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

/** FHIR R4 REST over what reporting emitted: /metadata, read, search, and Subscription create/read/delete. */
@Controller(FHIR_BASE_PATH)
export class FhirHttpController {
  constructor(private readonly fhir: ReportingFhirService) {}

  @Get('metadata')
  metadata(@Res() res: ServerResponse): void {
    send(res, this.fhir.endpoint.metadata());
  }

  @Post('Subscription')
  async createSubscription(@Req() req: IncomingMessage & { body?: unknown }, @Res() res: ServerResponse): Promise<void> {
    const body = await readFhirJson(req);
    if (body === NOT_JSON) {
      send(res, { status: 400, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'structure', details: { text: 'body is not JSON' } }] } });
      return;
    }
    send(res, await this.fhir.subscriptions.create(body));
  }

  @Get('Subscription/:id')
  readSubscription(@Param('id') id: string, @Res() res: ServerResponse): void {
    send(res, this.fhir.subscriptions.read(id));
  }

  @Delete('Subscription/:id')
  async deleteSubscription(@Param('id') id: string, @Res() res: ServerResponse): Promise<void> {
    send(res, await this.fhir.subscriptions.delete(id));
  }

  @Get(':type')
  async search(@Param('type') type: string, @Query() query: QueryParams, @Res() res: ServerResponse): Promise<void> {
    send(res, await this.fhir.endpoint.search(type, query));
  }

  @Get(':type/:id')
  async read(@Param('type') type: string, @Param('id') id: string, @Res() res: ServerResponse): Promise<void> {
    send(res, await this.fhir.endpoint.read(type, id));
  }
}
