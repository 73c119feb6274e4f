import type { Bundle } from '@medplum/fhirtypes';
import { buildReportResources } from '@triage/reporting-domain';
import { fixtureDecision, fixtureReceived, fixtureStudy } from '@triage/test-peers';
import { OwnFhirEndpoint } from './own-fhir-endpoint';

describe('OwnFhirEndpoint', () => {
  const endpoint = new OwnFhirEndpoint(() => 'http://127.0.0.1:8083/fhir/R4');
  beforeAll(async () => {
    for (const n of [1, 2]) {
      const study = fixtureStudy(600 + n);
      const rec = fixtureReceived(study);
      const { resources } = buildReportResources({ study, series: rec.series, retrieveUrl: rec.retrieveUrl, decision: fixtureDecision(study, n === 1) }, new Date());
      await endpoint.put(resources);
    }
  });

  it('filters on the subject identifier of logical references', async () => {
    const all = await endpoint.search('DiagnosticReport', { 'subject:identifier': 'RPT-PAT-7731', status: 'preliminary' });
    expect(all.status).toBe(200);
    expect((all.body as Bundle).entry).toHaveLength(2);
    expect(((await endpoint.search('DiagnosticReport', { 'subject:identifier': 'someone-else' })).body as Bundle).entry).toHaveLength(0);
  });

  it('answers unknown parameters and types with an OperationOutcome', async () => {
    expect((await endpoint.search('DiagnosticReport', { colour: 'blue' })).status).toBe(400);
    expect((await endpoint.read('Patient', 'x')).status).toBe(404);
    expect((await endpoint.read('DiagnosticReport', '../etc')).status).toBe(400);
  });
});
