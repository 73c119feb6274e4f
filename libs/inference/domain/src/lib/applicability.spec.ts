import type { StudyReceived } from '@triage/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imagesForViews, selectSeries } from './applicability';
import { parseModelManifest } from './model-manifest';

const MANIFESTS = join(__dirname, '../../../../../models/manifests');
const head = parseModelManifest(JSON.parse(readFileSync(join(MANIFESTS, 'head-ct-hyperdensity.json'), 'utf8')));

const CT = '1.2.840.10008.5.1.4.1.1.2';
const instance = (n: number, sopClassUid = CT) => ({
  sopInstanceUid: `1.2.3.4.${n}`,
  sopClassUid,
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  sizeBytes: 1000,
  sha256: '0'.repeat(64),
});

function study(series: Array<{ modality: string; bodyPart?: string; count: number; sopClassUid?: string }>, studyBodyPart?: string): StudyReceived {
  return {
    study: {
      studyInstanceUid: '1.2.3',
      modalities: ['CT'],
      bodyPart: studyBodyPart,
      patient: {},
      context: { patientClass: 'unknown', orderPriority: 'unknown' },
      receivedAt: '2025-01-01T00:00:00Z',
    },
    series: series.map((s, i) => ({
      seriesInstanceUid: `1.2.3.${i + 1}`,
      modality: s.modality,
      bodyPart: s.bodyPart,
      instances: Array.from({ length: s.count }, (_, n) => instance(i * 100 + n, s.sopClassUid)),
    })),
    instanceCount: series.reduce((n, s) => n + s.count, 0),
    origin: { protocol: 'stow-rs' },
    retrieveUrl: 'http://127.0.0.1:1/dicomweb/studies/1.2.3',
  };
}

describe('selectSeries', () => {
  it('picks the matching series with most instances', () => {
    const s = study([
      { modality: 'CT', bodyPart: 'HEAD', count: 3 },
      { modality: 'CT', bodyPart: 'head', count: 12 },
      { modality: 'CT', bodyPart: 'CHEST', count: 40 },
    ]);
    expect(selectSeries(head, s)?.seriesInstanceUid).toBe('1.2.3.2');
  });

  it('falls back to the study body part and refuses other modalities, body parts and SOP classes', () => {
    expect(selectSeries(head, study([{ modality: 'CT', count: 2 }], 'HEAD'))?.instances).toHaveLength(2);
    expect(selectSeries(head, study([{ modality: 'CT', count: 2 }]))).toBeUndefined();
    expect(selectSeries(head, study([{ modality: 'MR', bodyPart: 'HEAD', count: 2 }]))).toBeUndefined();
    expect(selectSeries(head, study([{ modality: 'CT', bodyPart: 'HEAD', count: 2, sopClassUid: '1.2.840.10008.5.1.4.1.1.7' }]))).toBeUndefined();
  });

  it('needs minInstances', () => {
    const strict = { ...head, applicability: { ...head.applicability, minInstances: 5 } };
    expect(selectSeries(strict, study([{ modality: 'CT', bodyPart: 'HEAD', count: 4 }]))).toBeUndefined();
  });
});

describe('imagesForViews', () => {
  const cxr = parseModelManifest(JSON.parse(readFileSync(join(MANIFESTS, 'cxr-reference.json'), 'utf8')));
  it('keeps only images of the listed views (an image without ViewPosition is none of them), or all without a list', () => {
    const images = [{ viewPosition: 'PA' }, { viewPosition: 'LL' }, {}, { viewPosition: 'AP' }];
    expect(imagesForViews(cxr, images)).toEqual([{ viewPosition: 'PA' }, { viewPosition: 'AP' }]);
    expect(imagesForViews(head, images)).toEqual(images);
  });
});
