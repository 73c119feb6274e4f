import type { StudyReceived } from '@triage/contracts';
import type { ModelManifest } from './model-manifest';

type Series = StudyReceived['series'][number];
type Instance = Series['instances'][number];

/** The series (and its instances) a model runs on. */
export interface SeriesSelection {
  seriesInstanceUid: string;
  instances: Instance[];
}

/**
 * Picks the series of a study a model applies to: modality and BodyPartExamined (series, else study)
 * in the manifest's lists, instances of the listed SOP classes, at least minInstances of them. The
 * series with the most such instances wins. Undefined when the model does not apply.
 */
export function selectSeries(manifest: ModelManifest, study: StudyReceived): SeriesSelection | undefined {
  const a = manifest.applicability;
  const modalities = new Set(a.modalities.map((m) => m.toUpperCase()));
  const bodyParts = new Set(a.bodyParts.map((b) => b.toUpperCase()));
  const sopClasses = a.sopClassUids ? new Set(a.sopClassUids) : undefined;
  let best: SeriesSelection | undefined;
  for (const s of study.series) {
    if (!modalities.has(s.modality.toUpperCase())) continue;
    const bodyPart = (s.bodyPart ?? study.study.bodyPart)?.toUpperCase();
    if (bodyParts.size > 0 && (!bodyPart || !bodyParts.has(bodyPart))) continue;
    const instances = sopClasses ? s.instances.filter((i) => sopClasses.has(i.sopClassUid)) : s.instances;
    if (instances.length < a.minInstances) continue;
    if (!best || instances.length > best.instances.length) best = { seriesInstanceUid: s.seriesInstanceUid, instances };
  }
  return best;
}

/**
 * The images of a selected series that a model with a `views` list may see: those whose ViewPosition is
 * listed (an image without one is not assumed to be any view). All images when the list is empty.
 */
export function imagesForViews<T extends { viewPosition?: string }>(manifest: ModelManifest, images: readonly T[]): T[] {
  const views = new Set(manifest.applicability.views.map((v) => v.toUpperCase()));
  if (views.size === 0) return [...images];
  return images.filter((i) => i.viewPosition !== undefined && views.has(i.viewPosition));
}
