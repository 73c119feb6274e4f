import { constructedQualityCases } from '@triage/audit-domain';
import { createEnvelope, EVENTS, newTraceContext, type Envelope, type InferenceCompleted, type ReadSigned, type StudyRef } from '@triage/contracts';
import { randomDicomUid } from './thin-flow.fixture';

const BIRTH_DATE_FOR_BAND: Record<string, string | undefined> = { '0-17': '2015-03-01', '18-39': '1996-03-01', '40-64': '1971-03-01', '65+': '1940-03-01', unknown: undefined };

export interface QualityEnvelopes {
  /** study key of constructedQualityCases() -> the StudyInstanceUID minted for it. */
  uids: Map<string, string>;
  reads: Array<Envelope<ReadSigned>>;
  /** A shadow-mode run over study a1, with a verdict in a1's read that must not count. */
  shadowRun: Envelope<InferenceCompleted>;
}

/**
 * Test support: the constructed quality set of @triage/audit-domain as read.signed envelopes (one read per
 * study and read id, the demographics in the study reference), plus a shadow run whose verdict is ignored.
 */
export function buildQualityEnvelopes(): QualityEnvelopes {
  const cases = constructedQualityCases();
  const uids = new Map<string, string>();
  const traces = new Map<string, string>();
  for (const c of cases) {
    if (!uids.has(c.studyKey)) {
      uids.set(c.studyKey, randomDicomUid());
      traces.set(c.studyKey, newTraceContext().traceId);
    }
  }
  const uidOf = (key: string): string => uids.get(key) ?? '';
  const traceOf = (key: string): string => traces.get(key) ?? '';
  const studyOf = (key: string): StudyRef => {
    const c = cases.find((x) => x.studyKey === key) ?? cases[0];
    const birthDate = BIRTH_DATE_FOR_BAND[String(c.ageBand)];
    return {
      studyInstanceUid: uidOf(key),
      accessionNumber: `Q-${key}`,
      studyDate: '2026-11-01',
      modalities: c.modalities,
      bodyPart: c.bodyPart ?? undefined,
      patient: { id: `QP-${key}`, name: `Quality^${key}`, ...(birthDate ? { birthDate } : {}), ...(c.sex ? { sex: c.sex as 'M' | 'F' } : {}) },
      context: { patientClass: 'emergency', orderPriority: 'stat', ...(c.site ? { site: c.site } : {}) },
      receivedAt: '2026-11-01T07:00:00.000Z',
    };
  };
  const byRead = new Map<string, typeof cases>();
  for (const c of cases) byRead.set(c.readId, [...(byRead.get(c.readId) ?? []), c]);
  const readUuid = (readId: string) => `00000000-0000-4000-8000-${Buffer.from(readId).toString('hex').padEnd(12, '0').slice(0, 12)}`;
  const shadowVerdict = { label: 'ich', code: { system: 'http://radelement.org', code: 'RDE1' }, modelId: 'ich-shadow', modelVersion: '0.9.0', aiPositive: true, verdict: 'rejected' as const };
  const reads = [...byRead.entries()].map(([readId, list]) => {
    const key = list[0].studyKey;
    return createEnvelope(
      EVENTS.readSigned,
      {
        study: studyOf(key),
        readId: readUuid(readId),
        status: readId.endsWith('amended') ? 'amended' : 'final',
        reader: { id: 'rad-q', display: 'Dr Quality' },
        verdicts: [
          ...list.map((c) => ({ label: c.label, code: c.code, modelId: c.modelId, modelVersion: c.modelVersion, aiPositive: c.aiPositive, verdict: c.aiPositive === c.readPositive ? ('confirmed' as const) : ('rejected' as const) })),
          ...(key === 'a1' && !readId.endsWith('amended') ? [shadowVerdict] : []),
        ],
        impression: `Synthetic impression for ${key}`,
        conclusionCodes: [],
        priority: 'urgent',
        signedAt: list[0].signedAt.toISOString(),
      },
      { subject: uidOf(key), trace: { traceId: traceOf(key) }, source: 'routing', occurredAt: list[0].signedAt },
    );
  });
  const shadowRun = createEnvelope(
    EVENTS.inferenceCompleted,
    {
      study: studyOf('a1'),
      runs: [
        {
          modelId: 'ich-shadow',
          modelVersion: '0.9.0',
          modelSha256: 'cd'.repeat(32),
          mode: 'shadow',
          status: 'succeeded',
          startedAt: '2026-11-01T07:01:00.000Z',
          latencyMs: 10,
          findings: [{ label: 'ich', kind: 'finding', code: shadowVerdict.code, probability: 0.8, threshold: 0.5, positive: true, critical: true }],
        },
      ],
    },
    { subject: uidOf('a1'), trace: { traceId: traceOf('a1') }, source: 'inference', occurredAt: new Date('2026-11-01T07:01:01.000Z') },
  );
  return { uids, reads, shadowRun };
}
