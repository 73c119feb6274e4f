import type { DiagnosticReport, ImagingStudy, Observation, Provenance, Resource } from '@medplum/fhirtypes';
import { fixtureDecision, fixtureRead, fixtureReceived, fixtureStudy } from '@triage/test-peers';
import { preliminaryReportId } from './fhir-ids';
import { assertValidResource } from './fhir-validation';
import { buildReportResources, toTransactionBundle } from './report-resources';
import type { StudyReportState } from './report-state';

const issued = new Date('2026-11-22T10:00:03.000Z');
const byType = <T extends Resource>(rs: Resource[], t: T['resourceType']) => rs.filter((r) => r.resourceType === t) as T[];

function state(positive: boolean, withRead = false): StudyReportState {
  const study = fixtureStudy(positive ? 1 : 2);
  const received = fixtureReceived(study);
  return {
    study,
    series: received.series,
    retrieveUrl: received.retrieveUrl,
    decision: fixtureDecision(study, positive),
    ...(withRead ? { read: fixtureRead(study, positive) } : {}),
  };
}

describe('buildReportResources', () => {
  it('builds valid ImagingStudy, Endpoint, Device, Observation, DiagnosticReport and Provenance for a positive study', () => {
    const { resources, report } = buildReportResources(state(true), issued);
    expect(resources.map((r) => r.resourceType)).toEqual(['Endpoint', 'Device', 'ImagingStudy', 'Observation', 'DiagnosticReport', 'Provenance']);
    for (const r of resources) expect(() => assertValidResource(r)).not.toThrow();

    const [study] = byType<ImagingStudy>(resources, 'ImagingStudy');
    expect(study).toMatchObject({ numberOfSeries: 1, numberOfInstances: 3, modality: [{ code: 'CT' }] });
    expect(study.series?.[0]).toMatchObject({ bodySite: { code: '69536005' }, modality: { code: 'CT' }, numberOfInstances: 3 });
    expect(study.series?.[0].instance?.[0].sopClass.code).toBe('urn:oid:1.2.840.10008.5.1.4.1.1.2');
    expect(study.endpoint?.[0].reference).toMatch(/^Endpoint\//);

    const [obs] = byType<Observation>(resources, 'Observation');
    expect(obs.status).toBe('preliminary');
    expect(obs.code.coding?.map((c) => `${c.system}|${c.code}`)).toEqual(['http://radelement.org|RDES194', 'http://snomed.info/sct|1386000']);
    expect(obs.valueCodeableConcept?.coding?.[0].code).toBe('52101004');
    expect(obs.component?.map((c) => c.valueQuantity?.value)).toEqual([0.97, 0.5]);
    expect(obs.device?.reference).toBe(`Device/${resources[1].id}`);
    expect(obs.derivedFrom?.[0].reference).toBe(`ImagingStudy/${study.id}`);
    expect(obs.method?.text).toContain('head-ct-hyperdensity 1.0.0');

    expect(report).toMatchObject({ status: 'preliminary', id: preliminaryReportId('2.25.771') });
    expect(report.result?.[0].reference).toBe(`Observation/${obs.id}`);
    expect(report.imagingStudy?.[0].reference).toBe(`ImagingStudy/${study.id}`);
    const [prov] = byType<Provenance>(resources, 'Provenance');
    expect(prov.agent.map((a) => a.who.reference ?? a.who.display)).toContain(`Device/${resources[1].id}`);
    expect(prov.target.map((t) => t.reference)).toEqual([`DiagnosticReport/${report.id}`, `Observation/${obs.id}`]);
  });

  it('codes a negative finding as absent and leaves the conclusion codes out', () => {
    const { resources, report } = buildReportResources(state(false), issued);
    const [obs] = byType<Observation>(resources, 'Observation');
    expect(obs.valueCodeableConcept?.coding?.[0].code).toBe('2667000');
    expect(report.conclusionCode).toBeUndefined();
    expect(report.conclusion).toMatch(/no flagged finding/);
  });

  it('makes the same report final after the read, with the conclusion, the radiologist and a second Provenance', () => {
    const before = buildReportResources(state(true), issued);
    const after = buildReportResources(state(true, true), issued);
    const report = after.report as DiagnosticReport;
    expect(report.id).toBe(before.report.id);
    expect(report).toMatchObject({ status: 'final', conclusion: expect.stringContaining('intraparenchymal haemorrhage'), issued: '2026-11-22T10:20:00.000Z' });
    expect(report.conclusionCode?.[0].coding?.[0].code).toBe('1386000');
    expect(report.resultsInterpreter?.[0].reference).toMatch(/^Practitioner\//);
    const finalText = Buffer.from(report.presentedForm![0].data!, 'base64').toString('utf8');
    expect(finalText).toMatch(/^RADIOLOGY REPORT - FINAL/);
    expect(finalText).toContain('confirmed; read positive');
    const provs = byType<Provenance>(after.resources, 'Provenance');
    expect(provs).toHaveLength(2);
    expect(provs[1].agent.map((a) => a.type?.coding?.[0].code)).toEqual(['author', 'verifier', 'assembler']);
  });

  it('builds resources from a read alone when the AI decision was never seen', () => {
    const s = state(true, true);
    const { report, resources } = buildReportResources({ ...s, decision: undefined, series: undefined, retrieveUrl: undefined }, issued);
    expect(report.status).toBe('final');
    expect(byType(resources, 'Observation')).toHaveLength(0);
  });
});

describe('toTransactionBundle', () => {
  it('sends conditional updates on business identifiers with bundle-local references', () => {
    const { resources } = buildReportResources(state(true, true), issued);
    const bundle = toTransactionBundle(resources, 'b-1', issued);
    expect(() => assertValidResource(bundle)).not.toThrow();
    const urls = bundle.entry!.map((e) => e.request!.url);
    expect(urls).toContain(`DiagnosticReport?identifier=${encodeURIComponent('urn:triage-mesh:diagnostic-report|2.25.771/ai-preread')}`);
    expect(urls.every((u) => /^[A-Za-z]+\?(identifier|_tag)=/.test(u))).toBe(true);
    expect(bundle.entry!.every((e) => e.request!.method === 'PUT' && e.resource!.id === undefined)).toBe(true);
    const obs = bundle.entry!.find((e) => e.resource!.resourceType === 'Observation')!.resource as Observation;
    expect(obs.device?.reference).toMatch(/^urn:uuid:/);
    expect(bundle.entry!.map((e) => e.fullUrl)).toContain(obs.device!.reference);
  });
});
