import { Controller, Get, Param, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { HEATMAP_ID, HEATMAP_ROUTE, HeatmapStore } from './heatmap.repository';

function notFound(res: ServerResponse): void {
  const body = JSON.stringify({ statusCode: 404, message: 'heatmap not found' });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Serves the stored heatmaps: GET /inference/heatmaps/<sha256>.png, image/png or 404. */
@Controller(HEATMAP_ROUTE)
export class HeatmapsHttpController {
  constructor(private readonly store: HeatmapStore) {}

  @Get(':file')
  async get(@Param('file') file: string, @Res() res: ServerResponse): Promise<void> {
    const id = file.endsWith('.png') ? file.slice(0, -4) : '';
    const png = HEATMAP_ID.test(id) ? await this.store.read(id) : undefined;
    if (!png) return notFound(res);
    res.writeHead(200, {
      'content-type': 'image/png',
      'content-length': png.byteLength,
      // Content-addressed by what it shows, rewritten only by a re-run of the same model version.
      'cache-control': 'private, max-age=300',
      'x-content-type-options': 'nosniff',
    });
    res.end(png);
  }
}
