import { latestVerdicts, type QualityCase } from './quality';

/** Turns a study key into a pseudonymous one (keyed hash); the same study always gets the same pseudonym. */
export type Pseudonymizer = (studyKey: string) => string;

export interface ManifestLabel {
  label: string;
  code: { system: string; code: string };
  /** The radiologist-corrected label: true when the signed read says the finding is present. */
  value: boolean;
  /** What the AI said, and which model: lets a retraining set weigh the corrections. */
  aiPositive: boolean;
  corrected: boolean;
  modelId: string;
  modelVersion: string;
}

export interface ManifestStudy {
  /** Pseudonymous study key; no UID, accession, name, id or date. */
  key: string;
  site: string | null;
  ageBand: string;
  sex: string | null;
  modalities: string[];
  bodyPart: string | null;
  labels: ManifestLabel[];
}

export interface LabelManifest {
  kind: 'triage-mesh/corrected-labels';
  version: 1;
  /** How the study keys were made (never the key itself). */
  pseudonymisation: 'hmac-sha256';
  studies: number;
  labels: number;
  items: ManifestStudy[];
}

export interface ManifestInput extends QualityCase {
  modalities: string[];
  bodyPart: string | null;
}

/** The radiologist-corrected labels as a de-identified dataset manifest, one entry per study. */
export function buildLabelManifest(input: ManifestInput[], pseudonymize: Pseudonymizer): LabelManifest {
  const byStudy = new Map<string, ManifestStudy>();
  for (const c of latestVerdicts(input) as ManifestInput[]) {
    const key = pseudonymize(c.studyKey);
    const entry = byStudy.get(key) ?? { key, site: c.site, ageBand: String(c.ageBand), sex: c.sex, modalities: c.modalities, bodyPart: c.bodyPart, labels: [] };
    entry.labels.push({
      label: c.label,
      code: { system: c.code.system, code: c.code.code },
      value: c.readPositive,
      aiPositive: c.aiPositive,
      corrected: c.aiPositive !== c.readPositive,
      modelId: c.modelId,
      modelVersion: c.modelVersion,
    });
    byStudy.set(key, entry);
  }
  const items = [...byStudy.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const i of items) i.labels.sort((a, b) => (a.label + a.modelId < b.label + b.modelId ? -1 : 1));
  return {
    kind: 'triage-mesh/corrected-labels',
    version: 1,
    pseudonymisation: 'hmac-sha256',
    studies: items.length,
    labels: items.reduce((n, i) => n + i.labels.length, 0),
    items,
  };
}
