import { Inject, Injectable } from '@nestjs/common';
import { heatmapToGrey8, type HeatmapPlane } from '@triage/inference-domain';
import { RuntimeInfo } from '@triage/nest-platform';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { InferenceException } from './inference.exception';
import { INFERENCE_OPTIONS, type InferenceOptions } from './inference.options';

/** Heatmap ids are sha256 hex: the only names the store reads or writes (no path from an event or a URL). */
export const HEATMAP_ID = /^[0-9a-f]{64}$/;

/** URL path under which the inference service serves heatmaps. */
export const HEATMAP_ROUTE = 'inference/heatmaps';

/**
 * Heatmaps as 8-bit greyscale PNG files (pngjs) under `<DATA_DIR>/heatmaps`. The id is a hash of what
 * the heatmap is of (study, model, version, label), so a redelivered study rewrites the same file
 * (atomically: temp file, then rename) and the reference in the result stays valid.
 */
@Injectable()
export class HeatmapStore {
  constructor(
    @Inject(INFERENCE_OPTIONS) private readonly options: InferenceOptions,
    private readonly runtime: RuntimeInfo,
  ) {}

  /** The id of the heatmap of one label of one model version on one study. */
  static idFor(studyInstanceUid: string, modelId: string, modelVersion: string, label: string): string {
    return createHash('sha256').update([studyInstanceUid, modelId, modelVersion, label].join('\0')).digest('hex');
  }

  /** Writes the PNG and returns its id; a disk failure is retryable (the study is redelivered). */
  async save(id: string, plane: HeatmapPlane): Promise<string> {
    if (!HEATMAP_ID.test(id)) throw new InferenceException('HEATMAP_STORE_FAILED', 'heatmap id is not a sha256 hex string');
    const png = PNG.sync.write({ width: plane.width, height: plane.height, data: Buffer.from(heatmapToGrey8(plane).buffer) } as PNG, {
      colorType: 0,
      inputColorType: 0,
      bitDepth: 8,
    });
    const dir = this.options.heatmapsDir;
    const tmp = join(dir, `.${id}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, png);
      await rename(tmp, join(dir, `${id}.png`));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new InferenceException('HEATMAP_STORE_FAILED', `heatmap could not be written (${code})`, true);
    }
    return id;
  }

  /** The PNG bytes of a stored heatmap, or undefined when there is none with that id. */
  async read(id: string): Promise<Buffer | undefined> {
    if (!HEATMAP_ID.test(id)) return undefined;
    try {
      return await readFile(join(this.options.heatmapsDir, `${id}.png`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** The URL of a heatmap: under INFERENCE_PUBLIC_URL, else the address this process listens on. */
  url(id: string): string {
    const base = (this.options.publicUrl ?? this.runtime.httpUrl ?? 'http://127.0.0.1').replace(/\/+$/, '');
    return `${base}/${HEATMAP_ROUTE}/${id}.png`;
  }
}
