import { Inject, Injectable } from '@nestjs/common';
import type { PriorStudy } from '@triage/contracts';
import { priorsQuery, type QidoStudy, type StudyRecord, toPriors } from '@triage/ingest-domain';
import { ensureXmlHttpRequest } from '@triage/mesh-client';
import { api } from 'dicomweb-client';
import { ORDERS_CONFIG, type OrdersConfig } from '../orders/orders.config';

/**
 * Looks up a patient's earlier studies in the configured PACS with QIDO-RS (dicomweb-client, the same
 * client inference uses for WADO-RS). The patient id goes to the PACS only, never to a log.
 */
@Injectable()
export class PriorsService {
  private client: api.DICOMwebClient | undefined;

  constructor(@Inject(ORDERS_CONFIG) private readonly config: OrdersConfig) {}

  enabled(): boolean {
    return this.config.PRIORS_DICOMWEB_URL !== '';
  }

  /** The priors of the study's patient ([] when the study names no patient id); throws when the PACS fails. */
  async lookup(record: Pick<StudyRecord, 'studyInstanceUid' | 'patient'>): Promise<PriorStudy[]> {
    const query = record.patient.id ? priorsQuery(record.patient.id) : undefined;
    if (!this.enabled() || !record.patient.id || !query) return [];
    const base = this.config.PRIORS_DICOMWEB_URL.replace(/\/+$/, '');
    let answer: unknown;
    try {
      answer = await this.dicomweb(base).searchForStudies({ queryParams: query } as Parameters<api.DICOMwebClient['searchForStudies']>[0]);
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      throw new Error(`QIDO-RS search for priors failed: ${typeof status === 'number' && status > 0 ? `HTTP ${status}` : 'no HTTP response'}`);
    }
    const studies = Array.isArray(answer) ? (answer as QidoStudy[]) : [];
    return toPriors(studies, { studyInstanceUid: record.studyInstanceUid, patientId: record.patient.id, issuer: record.patient.issuer }, (uid) => `${base}/studies/${uid}`, this.config.PRIORS_MAX);
  }

  private dicomweb(base: string): api.DICOMwebClient {
    if (!this.client) {
      ensureXmlHttpRequest();
      const timeout = this.config.PRIORS_TIMEOUT_MS;
      this.client = new api.DICOMwebClient({
        url: base,
        verbose: false,
        singlepart: false,
        // dicomweb-client ignores hooks that do not take exactly (request, metadata).
        requestHooks: [(xhr: { timeout: number }, _metadata: unknown) => Object.assign(xhr, { timeout })],
      } as ConstructorParameters<typeof api.DICOMwebClient>[0]);
    }
    return this.client;
  }
}
