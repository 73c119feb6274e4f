import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { FhirIntakeError, mapServiceRequest, operationOutcome, parseMediaType, parseServiceRequest } from '@triage/ingest-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { v5 as uuidv5 } from 'uuid';
import { DicomwebUrls } from '../dicomweb-urls.service';
import { ContextJoinService } from './context-join.service';
import { OrderStore } from './order-store.service';
import { ORDERS_CONFIG, type OrdersConfig } from './orders.config';

const FHIR_JSON = 'application/fhir+json';
/** Namespace of the ids the mesh gives ServiceRequests (UUID v5 of the order key: a resend keeps its id). */
const SERVICE_REQUEST_NAMESPACE = '5b0c1a0e-4f0e-5c55-9d57-4a1f3f6f2f11';
const ALLOWED_PARAMS = new Set(['_format', '_pretty']);

/**
 * FHIR R4 ServiceRequest intake: `POST /fhir/ServiceRequest` (application/fhir+json). The resource is
 * validated with @medplum/core, mapped onto the same order record as HL7 v2, stored with fsync and
 * joined onto its study; 201 with Location. Every refusal is a 4xx OperationOutcome; a malformed body
 * sent as plain application/json is refused by the platform's JSON body parser before this controller
 * runs, and the platform's FhirErrorFilter answers that with an OperationOutcome too.
 */
@Controller('fhir')
export class ServiceRequestHttpController {
  private readonly log: Logger;

  constructor(
    private readonly store: OrderStore,
    private readonly join: ContextJoinService,
    private readonly urls: DicomwebUrls,
    @Inject(ORDERS_CONFIG) private readonly config: OrdersConfig,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'fhir-intake' });
  }

  @Post('ServiceRequest')
  async create(@Req() req: IncomingMessage & { body?: unknown }, @Res() res: ServerResponse): Promise<void> {
    try {
      this.checkRequest(req);
      const body = await this.readBody(req);
      const resource = parseServiceRequest(body);
      const order = mapServiceRequest(resource, new Date());
      const stored = await this.store.saveRecord(order).catch((err: Error) => {
        this.log.error({ reason: err.message }, 'ServiceRequest not stored');
        throw new FhirIntakeError(503, operationOutcome('transient', 'the order could not be stored; retry later'));
      });
      void this.join.recordsStored([stored]);
      const id = uuidv5(OrderStore.orderKey(stored), SERVICE_REQUEST_NAMESPACE);
      const created = { ...resource, id, meta: { ...resource.meta, versionId: '1', lastUpdated: stored.receivedAt } };
      this.log.info({ studyInstanceUid: stored.studyInstanceUid, orderPriority: stored.context.orderPriority, patientClass: stored.context.patientClass }, 'ServiceRequest accepted');
      send(res, 201, created, { Location: `${this.urls.base() ?? ''}/fhir/ServiceRequest/${id}/_history/1` });
    } catch (err) {
      if (!(err instanceof FhirIntakeError)) throw err;
      this.log.warn({ status: err.status, reason: err.message }, 'ServiceRequest refused');
      if (!req.readableEnded) req.resume();
      send(res, err.status, err.outcome, err.status === 413 ? { Connection: 'close' } : {});
    }
  }

  private checkRequest(req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://mesh');
    for (const [key, value] of url.searchParams) {
      if (!ALLOWED_PARAMS.has(key)) throw new FhirIntakeError(400, operationOutcome('not-supported', `parameter ${key.slice(0, 32)} is not supported on create`));
      if (key === '_format' && !['json', FHIR_JSON, 'application/json'].includes(value)) throw new FhirIntakeError(415, operationOutcome('not-supported', 'only JSON is supported'));
    }
    const type = parseMediaType(req.headers['content-type'])?.type;
    if (type !== FHIR_JSON && type !== 'application/json') throw new FhirIntakeError(415, operationOutcome('not-supported', `Content-Type must be ${FHIR_JSON}`));
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.config.FHIR_MAX_BODY_BYTES) throw new FhirIntakeError(413, operationOutcome('too-costly', 'request body larger than allowed'));
  }

  /** The body as text, at most FHIR_MAX_BODY_BYTES (application/json may already have been read by the platform). */
  private async readBody(req: IncomingMessage & { body?: unknown }): Promise<string> {
    if (req.body !== undefined && typeof req.body === 'object' && Object.keys(req.body as object).length > 0) return JSON.stringify(req.body);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.config.FHIR_MAX_BODY_BYTES) throw new FhirIntakeError(413, operationOutcome('too-costly', 'request body larger than allowed'));
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

function send(res: ServerResponse, status: number, body: OperationOutcome | object, headers: Record<string, string> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': `${FHIR_JSON}; charset=utf-8`, 'Content-Length': String(data.length), ...headers });
  res.end(data);
}
