import type { ManifestInput } from './label-manifest';

/**
 * Test support: a constructed set of reads with hand-computed answers (see quality.spec.ts).
 * Model ich-ct 2.0.0, label ich: site A has TP 2, FP 1, TN 3, FN 1; site B TP 1, TN 2 once study b2's
 * amendment (rejected -> confirmed) supersedes its final read. Model cxr 1.0.0 adds one TP at site A.
 */
export function constructedQualityCases(): ManifestInput[] {
  const t = (minute: number) => new Date(Date.UTC(2026, 10, 1, 8, minute));
  const base = { modelId: 'ich-ct', modelVersion: '2.0.0', label: 'ich', code: { system: 'http://radelement.org', code: 'RDE1' }, modalities: ['CT'], bodyPart: 'HEAD' };
  const row = (studyKey: string, site: string, sex: string | null, ageBand: string, ai: boolean, verdict: 'confirmed' | 'rejected', minute: number, readId = `r-${studyKey}`) => ({
    ...base,
    studyKey,
    readId,
    signedAt: t(minute),
    site,
    sex,
    ageBand,
    aiPositive: ai,
    readPositive: verdict === 'confirmed' ? ai : !ai,
  });
  return [
    row('a1', 'A', 'F', '18-39', true, 'confirmed', 1),
    row('a2', 'A', 'M', '65+', true, 'confirmed', 2),
    row('a3', 'A', 'F', '65+', true, 'rejected', 3),
    row('a4', 'A', 'M', '40-64', false, 'confirmed', 4),
    row('a5', 'A', 'F', '40-64', false, 'confirmed', 5),
    row('a6', 'A', null, 'unknown', false, 'confirmed', 6),
    row('a7', 'A', 'F', '65+', false, 'rejected', 7),
    row('b1', 'B', 'M', '18-39', true, 'confirmed', 8),
    row('b2', 'B', 'F', '40-64', false, 'rejected', 9),
    row('b2', 'B', 'F', '40-64', false, 'confirmed', 20, 'r-b2-amended'),
    row('b3', 'B', 'M', '65+', false, 'confirmed', 10),
    { ...row('a1', 'A', 'F', '18-39', true, 'confirmed', 1), modelId: 'cxr', modelVersion: '1.0.0', label: 'pneumothorax', code: { system: 'http://snomed.info/sct', code: '36118008' } },
  ];
}
