import { ensureXmlHttpRequest } from '@triage/mesh-client';
import { api } from 'dicomweb-client';
import { InferenceException } from './inference.exception';

/** Where one instance lives: the study's WADO-RS URL and the three UIDs. */
export interface InstanceRef {
  retrieveUrl: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

/** Fetches Part 10 instances; the I/O boundary of the inference service (replaced in unit tests). */
export interface InstanceSource {
  retrieve(ref: InstanceRef): Promise<Uint8Array>;
}

export const INSTANCE_SOURCE = Symbol('INSTANCE_SOURCE');

/** The DICOMweb base of a study URL: everything before `/studies/`. */
export function dicomwebBase(retrieveUrl: string): string {
  const at = retrieveUrl.lastIndexOf('/studies/');
  if (at <= 0) throw new InferenceException('RETRIEVE_FAILED', 'retrieveUrl has no /studies/ segment');
  return retrieveUrl.slice(0, at);
}

/** HTTP statuses worth retrying: none (network error, timeout), 408, 429 and 5xx. */
function transient(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** WADO-RS retrieval of single instances (multipart/related; type="application/dicom") through dicomweb-client. */
export class DicomwebInstanceSource implements InstanceSource {
  private readonly clients = new Map<string, api.DICOMwebClient>();

  /**
   * @param allowedOrigins origins (scheme://host:port) the service may fetch from; empty allows any. The
   *   URL comes from an event, so without this a forged event could make the service fetch from anywhere.
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly allowedOrigins: readonly string[] = [],
  ) {
    ensureXmlHttpRequest();
  }

  private client(base: string): api.DICOMwebClient {
    let c = this.clients.get(base);
    if (!c) {
      c = new api.DICOMwebClient({
        url: base,
        // verbose would print whole requests (and responses) to the console.
        verbose: false,
        singlepart: false,
        requestHooks: [
          // dicomweb-client ignores hooks that do not take exactly (request, metadata).
          (xhr: XMLHttpRequestLike, _metadata: unknown) => {
            xhr.timeout = this.timeoutMs;
            return xhr;
          },
        ],
      });
      this.clients.set(base, c);
    }
    return c;
  }

  async retrieve(ref: InstanceRef): Promise<Uint8Array> {
    const base = dicomwebBase(ref.retrieveUrl);
    if (this.allowedOrigins.length > 0) {
      let origin = '';
      try {
        origin = new URL(base).origin;
      } catch {
        throw new InferenceException('RETRIEVE_FAILED', 'retrieveUrl is not a URL');
      }
      if (!this.allowedOrigins.includes(origin)) {
        throw new InferenceException('RETRIEVE_FAILED', `retrieveUrl origin ${origin} is not in INFERENCE_DICOMWEB_ALLOWED_ORIGINS`);
      }
    }
    const client = this.client(base);
    let body: unknown;
    try {
      body = await client.retrieveInstance({
        studyInstanceUID: ref.studyInstanceUid,
        seriesInstanceUID: ref.seriesInstanceUid,
        sopInstanceUID: ref.sopInstanceUid,
      } as Parameters<api.DICOMwebClient['retrieveInstance']>[0]);
    } catch (err) {
      const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 0;
      const what = status === 0 ? 'no HTTP response' : `HTTP ${status}`;
      throw new InferenceException(
        transient(status) ? 'RETRIEVE_UNAVAILABLE' : 'RETRIEVE_FAILED',
        `WADO-RS retrieve of instance ${ref.sopInstanceUid} failed: ${what}`,
        transient(status),
      );
    }
    if (!(body instanceof ArrayBuffer) || body.byteLength === 0) {
      throw new InferenceException('RETRIEVE_FAILED', `WADO-RS retrieve of instance ${ref.sopInstanceUid} returned no DICOM part`);
    }
    return new Uint8Array(body);
  }
}

interface XMLHttpRequestLike {
  timeout: number;
}
