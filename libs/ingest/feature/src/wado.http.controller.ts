import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { isDicomUid, parseQidoQuery, QidoQueryError, splitAcceptHeader, type QidoQuery } from '@triage/ingest-domain';
import { ROOT_LOGGER } from '@triage/nest-platform';
import type { Logger } from '@triage/observability';
import { DicomwebQueryService, type InstanceRef } from './dicomweb-query.service';
import { sendDicomJson, sendError } from './http-response';
import { InstanceStore } from './instance-store.service';

type QueryParams = Record<string, string | string[] | undefined>;

/** True when the Accept header allows multipart/related; type="application/dicom" (or anything). */
function acceptsMultipartDicom(accept: string | undefined): boolean {
  const members = splitAcceptHeader(accept);
  if (members.length === 0) return true;
  return members.some(
    (m) =>
      m.type === '*/*' ||
      m.type === 'multipart/*' ||
      (m.type === 'multipart/related' && ['application/dicom', undefined].includes(m.params.type?.toLowerCase())),
  );
}

/**
 * WADO-RS (PS3.18 10.4) retrieve and metadata, and QIDO-RS (10.6) search, over the study index. Retrieve
 * streams each stored file from disk into a multipart/related answer, in the transfer syntax it was stored in.
 */
@Controller('dicomweb')
export class WadoHttpController {
  private readonly log: Logger;

  constructor(
    private readonly query: DicomwebQueryService,
    private readonly store: InstanceStore,
    @Inject(ROOT_LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'wado' });
  }

  @Get('studies')
  searchStudies(@Query() params: QueryParams, @Res() res: ServerResponse): void {
    const q = this.parseQuery(params, res);
    if (q) sendDicomJson(res, 200, this.query.searchStudies(q));
  }

  @Get('studies/:study/series')
  searchSeries(@Param('study') study: string, @Query() params: QueryParams, @Res() res: ServerResponse): void {
    const q = this.parseQuery(params, res);
    if (!q || !this.validUids(res, study)) return;
    const found = this.query.searchSeries(study, q);
    if (found) sendDicomJson(res, 200, found);
    else sendError(res, 404, 'study not found');
  }

  @Get('studies/:study/series/:series/instances')
  searchInstances(@Param('study') study: string, @Param('series') series: string, @Query() params: QueryParams, @Res() res: ServerResponse): void {
    const q = this.parseQuery(params, res);
    if (!q || !this.validUids(res, study, series)) return;
    const found = this.query.searchInstances(study, series, q);
    if (found) sendDicomJson(res, 200, found);
    else sendError(res, 404, 'series not found');
  }

  @Get('studies/:study/metadata')
  async studyMetadata(@Param('study') study: string, @Res() res: ServerResponse): Promise<void> {
    await this.sendMetadata(res, study);
  }

  @Get('studies/:study/series/:series/metadata')
  async seriesMetadata(@Param('study') study: string, @Param('series') series: string, @Res() res: ServerResponse): Promise<void> {
    await this.sendMetadata(res, study, series);
  }

  @Get('studies/:study/series/:series/instances/:instance/metadata')
  async instanceMetadata(@Param('study') study: string, @Param('series') series: string, @Param('instance') sop: string, @Res() res: ServerResponse): Promise<void> {
    await this.sendMetadata(res, study, series, sop);
  }

  @Get('studies/:study')
  async retrieveStudy(@Param('study') study: string, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.sendInstances(req, res, study);
  }

  @Get('studies/:study/series/:series')
  async retrieveSeries(@Param('study') study: string, @Param('series') series: string, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.sendInstances(req, res, study, series);
  }

  @Get('studies/:study/series/:series/instances/:instance')
  async retrieveInstance(
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') sop: string,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    await this.sendInstances(req, res, study, series, sop);
  }

  private parseQuery(params: QueryParams, res: ServerResponse): QidoQuery | undefined {
    try {
      return parseQidoQuery(params);
    } catch (err) {
      if (!(err instanceof QidoQueryError)) throw err;
      sendError(res, 400, err.message);
      return undefined;
    }
  }

  private validUids(res: ServerResponse, ...uids: string[]): boolean {
    if (uids.every((u) => isDicomUid(u))) return true;
    sendError(res, 400, 'a UID in the path is not a valid DICOM UID');
    return false;
  }

  private resolve(res: ServerResponse, study: string, series?: string, sop?: string): InstanceRef[] | undefined {
    if (!this.validUids(res, ...[study, series, sop].filter((u): u is string => u !== undefined))) return undefined;
    const refs = this.query.resolve(study, series, sop);
    if (!refs) sendError(res, 404, 'not found');
    return refs;
  }

  private async sendMetadata(res: ServerResponse, study: string, series?: string, sop?: string): Promise<void> {
    const refs = this.resolve(res, study, series, sop);
    if (refs) sendDicomJson(res, 200, await this.query.metadata(refs));
  }

  private async sendInstances(req: IncomingMessage, res: ServerResponse, study: string, series?: string, sop?: string): Promise<void> {
    if (!acceptsMultipartDicom(req.headers.accept)) {
      sendError(res, 406, 'only multipart/related; type="application/dicom" is offered');
      return;
    }
    const refs = this.resolve(res, study, series, sop);
    if (!refs) return;
    const boundary = `wado-${randomBytes(12).toString('hex')}`;
    res.writeHead(200, { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
    try {
      for (const [i, ref] of refs.entries()) {
        const head = `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: application/dicom; transfer-syntax=${ref.instance.transferSyntaxUid}\r\n\r\n`;
        if (!res.write(head)) await drained(res);
        for await (const chunk of this.store.openRead(ref.key)) {
          if (!res.write(chunk)) await drained(res);
        }
      }
      res.end(`\r\n--${boundary}--\r\n`);
    } catch (err) {
      // Headers are gone already: all that can be done is to cut the answer short so the client sees it.
      this.log.error({ reason: (err as Error).message }, 'WADO-RS retrieve failed mid-stream');
      res.destroy();
    }
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off('close', closed);
      resolve();
    };
    const closed = () => {
      res.off('drain', done);
      reject(new Error('client went away'));
    };
    res.once('drain', done);
    res.once('close', closed);
  });
}
