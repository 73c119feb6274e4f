import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { isDicomUid, parseMediaType } from '@triage/ingest-domain';
import { sendDicomJson, sendError } from './http-response';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { StowService } from './stow.service';

/** Most clients only read an early answer once their upload is done: discard a few MiB, then hang up. */
const DRAIN_BYTES = 8 * 1024 * 1024;

function drainOrDrop(req: IncomingMessage): void {
  if (req.readableEnded) return;
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/** STOW-RS (PS3.18 10.5): `POST /dicomweb/studies[/{study}]` with multipart/related; type="application/dicom". */
@Controller('dicomweb')
export class StowHttpController {
  constructor(
    private readonly stow: StowService,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @Post('studies')
  async storeInstances(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.handle(req, res, undefined);
  }

  @Post('studies/:study')
  async storeInstancesOfStudy(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Param('study') study: string): Promise<void> {
    if (!isDicomUid(study)) return this.reject(req, res, 400, 'study in the path is not a valid DICOM UID');
    await this.handle(req, res, study);
  }

  private async handle(req: IncomingMessage, res: ServerResponse, study: string | undefined): Promise<void> {
    const media = parseMediaType(req.headers['content-type']);
    if (media?.type !== 'multipart/related' || (media.params.type ?? '').toLowerCase() !== 'application/dicom') {
      return this.reject(req, res, 415, 'expected multipart/related; type="application/dicom"');
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return this.reject(req, res, 415, 'compressed request bodies are not accepted');
    if (!media.params.boundary) return this.reject(req, res, 400, 'multipart boundary missing');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.config.STOW_MAX_BYTES) return this.reject(req, res, 413, 'request body larger than allowed');
    // destroyOnReturn: false keeps the socket open when parsing stops early, so the answer can still be sent.
    const outcome = await this.stow.handle({ body: req.iterator({ destroyOnReturn: false }), boundary: media.params.boundary, study });
    const unread = outcome.status === 413 || outcome.status === 400;
    drainOrDrop(req);
    sendDicomJson(res, outcome.status, outcome.body, {
      ...(outcome.status === 503 ? { 'Retry-After': '5' } : {}),
      ...(unread ? { Connection: 'close' } : {}),
    });
  }

  /** Answers without storing the body; the connection is closed after it. */
  private reject(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
    drainOrDrop(req);
    sendError(res, status, message, { Connection: 'close' });
  }
}
