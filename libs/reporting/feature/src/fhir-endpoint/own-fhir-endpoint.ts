import { badRequest, getStatus, normalizeOperationOutcome, notFound, OperationOutcomeError } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { ensureFhirR4SearchParameters } from '@triage/fhir-definitions';
import { capabilityStatement, COMMON_PARAMS, SEARCH_PARAMS } from './capability-statement';

export type FhirAnswer = { status: number; body: Resource };

type Query = Record<string, string | string[] | undefined>;

const IDENTIFIER_MODIFIERS = ['subject:identifier', 'patient:identifier'];

const outcome = (status: number, code: string, text: string): FhirAnswer => ({
  status,
  body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: code as 'invalid', details: { text } }] } as OperationOutcome,
});

/** `[system|]value` matched against an Identifier (logical references carry one). */
function identifierMatches(token: string, id: { system?: string; value?: string } | undefined): boolean {
  if (!id) return false;
  const bar = token.indexOf('|');
  if (bar < 0) return id.value === token;
  return (bar === 0 ? !id.system : id.system === token.slice(0, bar)) && id.value === token.slice(bar + 1);
}

/**
 * The mesh's own FHIR R4 endpoint over what reporting emitted: read and search with @medplum/fhir-router
 * on an in-memory repository (rebuilt from reporting's durable study state at start), a
 * CapabilityStatement, and OperationOutcome errors. Read-only except for Subscriptions (handled beside it).
 */
export class OwnFhirEndpoint {
  private readonly repo = new MemoryRepository();
  private readonly router = new FhirRouter();

  constructor(
    private readonly baseUrl: () => string,
    private readonly version = '0.1.0',
  ) {
    // Search needs the R4 SearchParameter definitions indexed in @medplum/core (once per process).
    ensureFhirR4SearchParameters();
  }

  /** Stores (creates or replaces) the current version of emitted resources. */
  async put(resources: Resource[]): Promise<void> {
    for (const r of resources) await this.repo.updateResource(r);
  }

  metadata(): FhirAnswer {
    return { status: 200, body: capabilityStatement(this.baseUrl(), this.version) };
  }

  async read(type: string, id: string): Promise<FhirAnswer> {
    if (!SEARCH_PARAMS[type]) return outcome(404, 'not-supported', `resource type ${type} is not served here`);
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return outcome(400, 'invalid', 'invalid resource id');
    return this.route(`${type}/${id}`);
  }

  async search(type: string, query: Query): Promise<FhirAnswer> {
    const allowed = SEARCH_PARAMS[type];
    if (!allowed) return outcome(404, 'not-supported', `resource type ${type} is not served here`);
    const unknown = Object.keys(query).filter((k) => !allowed[k] && !COMMON_PARAMS.has(k));
    if (unknown.length) return outcome(400, 'not-supported', `unknown search parameter(s) for ${type}: ${unknown.join(', ')}`);
    const params = new URLSearchParams();
    const identifierFilters: string[] = [];
    for (const [k, v] of Object.entries(query)) {
      for (const value of Array.isArray(v) ? v : [v ?? '']) {
        if (IDENTIFIER_MODIFIERS.includes(k)) identifierFilters.push(value);
        else params.append(k, value);
      }
    }
    if (identifierFilters.length === 0) return this.route(`${type}${params.size ? `?${params}` : ''}`);
    // The subject is a logical reference by identifier (the EHR owns the Patient): filter on it here.
    params.set('_count', '1000');
    const answer = await this.route(`${type}?${params}`);
    if (answer.status !== 200) return answer;
    const bundle = answer.body as Bundle;
    const entry = (bundle.entry ?? []).filter((e) =>
      identifierFilters.every((f) => identifierMatches(f, (e.resource as { subject?: { identifier?: { system?: string; value?: string } } }).subject?.identifier)),
    );
    return { status: 200, body: { ...bundle, entry, total: entry.length } };
  }

  private async route(url: string): Promise<FhirAnswer> {
    try {
      const [oo, resource] = await this.router.handleRequest({ method: 'GET', url, pathname: '', body: undefined, params: {}, query: {} }, this.repo);
      const status = getStatus(oo);
      if (status >= 400) return { status, body: oo };
      if (!resource) return { status: 404, body: notFound };
      if (resource.resourceType === 'Bundle') return { status, body: this.absolutise(resource) };
      return { status, body: resource };
    } catch (err) {
      const oo = err instanceof OperationOutcomeError ? err.outcome : normalizeOperationOutcome(err);
      return { status: getStatus(oo) >= 400 ? getStatus(oo) : 400, body: oo ?? badRequest('search failed') };
    }
  }

  /** Search bundles carry absolute fullUrls on this server. */
  private absolutise(bundle: Bundle): Bundle {
    const base = this.baseUrl();
    return {
      ...bundle,
      entry: (bundle.entry ?? []).map((e) => ({ ...e, fullUrl: `${base}/${e.resource?.resourceType}/${e.resource?.id}`, search: { mode: 'match' } })),
      link: undefined,
    };
  }
}
