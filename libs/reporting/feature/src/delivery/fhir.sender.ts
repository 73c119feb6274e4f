import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import type { Client } from 'fhir-kit-client';
import { loadFhirKitClient } from './fhir-kit-client.loader';
import type { AttemptResult, OutboxJob } from './outbox';
import { FhirAuthError, FhirTokenProvider } from './smart-auth';

/** HTTP statuses worth retrying: the server is busy, down or timed out. Other 4xx need a fix on our side. */
const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

function outcomeCodes(data: unknown): string {
  let oo: OperationOutcome | undefined;
  try {
    oo = (typeof data === 'string' ? JSON.parse(data) : data) as OperationOutcome;
  } catch {
    return '';
  }
  if (oo?.resourceType !== 'OperationOutcome') return '';
  // Issue codes only: the server's diagnostics may quote resource content (PHI).
  return (oo.issue ?? []).map((i) => `${i.severity}/${i.code}`).slice(0, 5).join(', ');
}

/** Delivers transaction Bundles to the EHR's FHIR server with fhir-kit-client. */
export class FhirSender {
  private readonly client: Client;

  constructor(
    readonly baseUrl: string,
    private readonly tokens: FhirTokenProvider,
    private readonly timeoutMs = 30_000,
  ) {
    this.client = new (loadFhirKitClient().Client)({ baseUrl, customHeaders: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json' } });
  }

  readonly send = async (job: OutboxJob): Promise<AttemptResult> => {
    let token: string | undefined;
    try {
      token = await this.tokens.token();
    } catch (err) {
      const e = err as FhirAuthError;
      return { outcome: e.retryable === false ? 'dead-letter' : 'retry', detail: e.message };
    }
    if (token) this.client.bearerToken = token;
    try {
      const res = (await this.client.transaction({
        body: job.body as Parameters<Client['transaction']>[0]['body'],
        options: { signal: AbortSignal.timeout(this.timeoutMs) },
      })) as unknown as Bundle;
      const failed = (res.entry ?? []).filter((e) => !/^2\d\d/.test(e.response?.status ?? ''));
      if (res.resourceType !== 'Bundle' || failed.length) {
        return { outcome: 'dead-letter', detail: `transaction-response with ${failed.length} failed entries` };
      }
      return { outcome: 'delivered', detail: `HTTP 200, ${res.entry?.length ?? 0} entries` };
    } catch (err) {
      const response = (err as { response?: { status?: number; data?: unknown } }).response;
      if (!response?.status) return { outcome: 'retry', detail: `no response: ${err instanceof Error ? err.name : 'error'} ${errorCause(err)}`.trim() };
      const codes = outcomeCodes(response.data);
      const detail = `HTTP ${response.status}${codes ? ` (${codes})` : ''}`;
      if (response.status === 401) {
        this.tokens.invalidate();
        return { outcome: 'retry', detail };
      }
      if (RETRYABLE.has(response.status)) return { outcome: 'retry', detail };
      return { outcome: 'dead-letter', detail, privateDetail: typeof response.data === 'string' ? response.data.slice(0, 4000) : JSON.stringify(response.data).slice(0, 4000) };
    }
  };
}

function errorCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err instanceof Error ? err.message.slice(0, 120) : '');
}
