import type { Finding } from '@triage/contracts';
import type { DicomImage } from './dicom-image';
import { qualityFinding } from './image-quality';

/**
 * "Wrong body part for the order": the region the order asks for (RequestedProcedureDescription that the
 * modality worklist copied into the images, else the StudyDescription) against the BodyPartExamined of
 * the images. Reported only when both are known and share no region: a chest order with head images.
 * Combined and whole-body terms never conflict with their parts.
 */

export type BodyRegion = 'HEAD' | 'NECK' | 'CHEST' | 'ABDOMEN' | 'PELVIS' | 'SPINE' | 'UPPER_LIMB' | 'LOWER_LIMB' | 'BREAST';

const ALL: readonly BodyRegion[] = ['HEAD', 'NECK', 'CHEST', 'ABDOMEN', 'PELVIS', 'SPINE', 'UPPER_LIMB', 'LOWER_LIMB', 'BREAST'];

/** BodyPartExamined defined terms (PS3.16 Annex L, the common ones) to regions. */
const BODY_PART_TERMS: Record<string, readonly BodyRegion[]> = {
  HEAD: ['HEAD'], BRAIN: ['HEAD'], SKULL: ['HEAD'], FACE: ['HEAD'], ORBIT: ['HEAD'], SINUS: ['HEAD'], IAC: ['HEAD'], TMJ: ['HEAD'],
  HEADNECK: ['HEAD', 'NECK'], NECK: ['NECK'], LARYNX: ['NECK'], THYROID: ['NECK'],
  CHEST: ['CHEST'], LUNG: ['CHEST'], HEART: ['CHEST'], THORAX: ['CHEST'], RIB: ['CHEST'], STERNUM: ['CHEST'], CLAVICLE: ['CHEST', 'UPPER_LIMB'],
  CHESTABDOMEN: ['CHEST', 'ABDOMEN'], CHESTABDPELVIS: ['CHEST', 'ABDOMEN', 'PELVIS'], ABDOMENPELVIS: ['ABDOMEN', 'PELVIS'],
  ABDOMEN: ['ABDOMEN'], LIVER: ['ABDOMEN'], KIDNEY: ['ABDOMEN'], PANCREAS: ['ABDOMEN'],
  PELVIS: ['PELVIS'], HIP: ['PELVIS', 'LOWER_LIMB'], BLADDER: ['PELVIS'], PROSTATE: ['PELVIS'],
  SPINE: ['SPINE'], CSPINE: ['SPINE', 'NECK'], TSPINE: ['SPINE'], LSPINE: ['SPINE'], SSPINE: ['SPINE'], COCCYX: ['SPINE'],
  SHOULDER: ['UPPER_LIMB'], ARM: ['UPPER_LIMB'], ELBOW: ['UPPER_LIMB'], FOREARM: ['UPPER_LIMB'], WRIST: ['UPPER_LIMB'], HAND: ['UPPER_LIMB'], FINGER: ['UPPER_LIMB'],
  LEG: ['LOWER_LIMB'], THIGH: ['LOWER_LIMB'], KNEE: ['LOWER_LIMB'], ANKLE: ['LOWER_LIMB'], FOOT: ['LOWER_LIMB'], TOE: ['LOWER_LIMB'],
  BREAST: ['BREAST'],
  WHOLEBODY: ALL, 'WHOLE BODY': ALL, EXTREMITY: ['UPPER_LIMB', 'LOWER_LIMB'],
};

/** Words of procedure descriptions to regions (the terms above, plus the usual order wording). */
const DESCRIPTION_WORDS: Record<string, readonly BodyRegion[]> = {
  ...BODY_PART_TERMS,
  CRANIAL: ['HEAD'], CEREBRAL: ['HEAD'], NEURO: ['HEAD'], STROKE: ['HEAD'],
  CXR: ['CHEST'], PULMONARY: ['CHEST'], CARDIAC: ['CHEST'], LUNGS: ['CHEST'], THORACIC: ['CHEST'],
  ABD: ['ABDOMEN'], ABDOMINAL: ['ABDOMEN'], RENAL: ['ABDOMEN'], PELVIC: ['PELVIS'],
  CERVICAL: ['SPINE', 'NECK'], LUMBAR: ['SPINE'], SACRUM: ['SPINE'],
  MAMMOGRAM: ['BREAST'], MAMMO: ['BREAST'], MAMMOGRAPHY: ['BREAST'],
  WHOLE: ALL,
};

/** The regions a BodyPartExamined value names; undefined when the term is not known. */
export function regionsOfBodyPart(term: string | undefined): ReadonlySet<BodyRegion> | undefined {
  const key = term?.trim().toUpperCase();
  const regions = key ? BODY_PART_TERMS[key] : undefined;
  return regions ? new Set(regions) : undefined;
}

/** The regions a procedure description names (by its words); undefined when it names none. */
export function regionsOfDescription(text: string | undefined): ReadonlySet<BodyRegion> | undefined {
  if (!text) return undefined;
  const words = text.toUpperCase().split(/[^A-Z]+/).filter(Boolean);
  const regions = new Set(words.flatMap((w) => DESCRIPTION_WORDS[w] ?? []));
  return regions.size ? regions : undefined;
}

/** A quality finding when the images show a different body region from the one the order asks for. */
export function wrongBodyPartFindings(studyDescription: string | undefined, images: readonly DicomImage[]): Finding[] {
  const ordered = regionsOfDescription(images.find((i) => i.requestedProcedureDescription)?.requestedProcedureDescription) ?? regionsOfDescription(studyDescription);
  if (!ordered) return [];
  const imaged = images.map((i) => regionsOfBodyPart(i.bodyPart)).filter((r): r is ReadonlySet<BodyRegion> => r !== undefined);
  if (imaged.length === 0) return [];
  const overlaps = imaged.some((r) => [...r].some((x) => ordered.has(x)));
  return overlaps ? [] : [qualityFinding('body-part-mismatch')];
}
