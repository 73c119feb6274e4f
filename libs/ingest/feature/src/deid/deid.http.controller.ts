import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Post, Res } from '@nestjs/common';
import { isDicomUid } from '@triage/ingest-domain';
import { DicomwebUrls } from '../dicomweb-urls.service';
import { sendError } from '../http-response';
import { DeidService } from './deid.service';

/**
 * De-identified export for external AI services. `POST /deid/studies/{study}` (mesh-internal: original UID)
 * answers the study's pseudonymous UID and the WADO-RS URL to give the external service;
 * `GET /deid/dicomweb/studies/{pseudonym}` serves the de-identified instances (multipart/related) and
 * never accepts an original UID. Burned-in-annotation instances are not served (X-Held-Back counts them).
 */
@Controller('deid')
export class DeidHttpController {
  constructor(
    private readonly deid: DeidService,
    private readonly urls: DicomwebUrls,
  ) {}

  @Post('studies/:study')
  async export(@Param('study') study: string, @Res() res: ServerResponse): Promise<void> {
    if (!isDicomUid(study)) return sendError(res, 400, 'study in the path is not a valid DICOM UID');
    const result = await this.deid.deidentifyStudy(study);
    if (!result) return sendError(res, 404, 'study not found');
    const body = Buffer.from(
      JSON.stringify({
        studyInstanceUid: result.studyInstanceUid,
        retrieveUrl: `${this.urls.base() ?? ''}/deid/dicomweb/studies/${result.studyInstanceUid}`,
        instanceCount: result.instances.length,
        heldBackCount: result.heldBack,
      }),
    );
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
    res.end(body);
  }

  @Get('dicomweb/studies/:pseudonym')
  async retrieve(@Param('pseudonym') pseudonym: string, @Res() res: ServerResponse): Promise<void> {
    const original = isDicomUid(pseudonym) ? this.deid.originalStudy(pseudonym) : undefined;
    const result = original ? await this.deid.deidentifyStudy(original) : undefined;
    if (!result || result.studyInstanceUid !== pseudonym) return sendError(res, 404, 'not found');
    if (result.instances.length === 0) return sendError(res, 404, 'every instance of the study is held back', { 'X-Held-Back': String(result.heldBack) });
    const boundary = `deid-${randomBytes(12).toString('hex')}`;
    const parts = result.instances.flatMap((i) => [Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), i.file, Buffer.from('\r\n')]);
    const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
    res.writeHead(200, {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      'Content-Length': String(body.length),
      'X-Held-Back': String(result.heldBack),
    });
    res.end(body);
  }
}
