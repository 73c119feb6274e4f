import { api } from 'dicomweb-client';
import { ensureXmlHttpRequest } from './xhr';

export interface StowResult {
  status: number;
  /** The PS3.18 response body (DICOM JSON), when there was one. */
  body: unknown;
}

/** One stage of a study's lineage as the audit service reports it. */
export interface LineageStage {
  stage: string;
  at: string;
  [key: string]: unknown;
}

export interface Lineage {
  traceId: string;
  studyInstanceUid: string;
  complete: boolean;
  stages: LineageStage[];
  [key: string]: unknown;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a PACS, a demo or a test does with a running mesh: send a study over STOW-RS (with
 * dicomweb-client, as a PACS integration would) and follow the study through the audit lineage API.
 */
export class MeshClient {
  constructor(
    private readonly ingestUrl: string,
    private readonly auditUrl: string = ingestUrl,
  ) {}

  /** STOW-RS of Part 10 files (POST /dicomweb/studies, multipart/related; type="application/dicom"). */
  async stow(files: Buffer[]): Promise<void> {
    ensureXmlHttpRequest();
    const client = new api.DICOMwebClient({ url: `${this.ingestUrl}/dicomweb`, singlepart: false });
    await client.storeInstances({ datasets: files.map(toArrayBuffer) });
  }

  async lineageByTrace(traceId: string): Promise<Lineage | undefined> {
    const res = await fetch(`${this.auditUrl}/lineage/${encodeURIComponent(traceId)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`lineage query answered ${res.status}`);
    return (await res.json()) as Lineage;
  }

  async lineageByStudy(studyInstanceUid: string): Promise<Lineage | undefined> {
    const res = await fetch(`${this.auditUrl}/lineage?studyInstanceUid=${encodeURIComponent(studyInstanceUid)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`lineage query answered ${res.status}`);
    return (await res.json()) as Lineage;
  }

  /** Polls the lineage until all stages are recorded; bounded by `timeoutMs`. */
  async waitForCompleteLineage(studyInstanceUid: string, timeoutMs = 60_000): Promise<Lineage> {
    const deadline = Date.now() + timeoutMs;
    let last: Lineage | undefined;
    while (Date.now() < deadline) {
      last = await this.lineageByStudy(studyInstanceUid).catch(() => undefined);
      if (last?.complete) return last;
      await sleep(200);
    }
    throw new Error(`study ${studyInstanceUid} did not complete within ${timeoutMs} ms (stages: ${last?.stages.map((s) => s.stage).join(', ') ?? 'none'})`);
  }
}
