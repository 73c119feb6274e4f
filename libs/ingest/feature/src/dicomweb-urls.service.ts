import { Inject, Injectable } from '@nestjs/common';
import type { MeshConfig } from '@triage/config';
import { MESH_CONFIG, RuntimeInfo } from '@triage/nest-platform';

/** Builds DICOMweb URLs under the public base (INGEST_PUBLIC_URL, else the address the process listens on). */
@Injectable()
export class DicomwebUrls {
  constructor(
    @Inject(MESH_CONFIG) private readonly config: MeshConfig,
    private readonly runtime: RuntimeInfo,
  ) {}

  /** The public base, or undefined before the HTTP server listens (and no INGEST_PUBLIC_URL is set). */
  base(): string | undefined {
    const base = this.config.INGEST_PUBLIC_URL ?? this.runtime.httpUrl;
    return base?.replace(/\/+$/, '');
  }

  study(study: string): string {
    return `${this.base() ?? ''}/dicomweb/studies/${study}`;
  }

  series(study: string, series: string): string {
    return `${this.study(study)}/series/${series}`;
  }

  instance(study: string, series: string, sop: string): string {
    return `${this.series(study, series)}/instances/${sop}`;
  }
}
