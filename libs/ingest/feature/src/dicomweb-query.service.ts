import { Injectable } from '@nestjs/common';
import {
  instanceToQidoJson,
  matchStudy,
  page,
  readDataset,
  seriesToQidoJson,
  studyToQidoJson,
  toDicomJson,
  type DicomJsonDataset,
  type IndexedInstance,
  type IndexedSeries,
  type QidoQuery,
  type StudyRecord,
} from '@triage/ingest-domain';
import { DicomwebUrls } from './dicomweb-urls.service';
import { InstanceStore, type InstanceKey } from './instance-store.service';
import { StudyIndex } from './study-index.service';

export interface InstanceRef {
  key: InstanceKey;
  instance: IndexedInstance;
}

/** Read side of DICOMweb over the study index and the instance store (QIDO-RS, WADO-RS). */
@Injectable()
export class DicomwebQueryService {
  constructor(
    private readonly index: StudyIndex,
    private readonly store: InstanceStore,
    private readonly urls: DicomwebUrls,
  ) {}

  searchStudies(q: QidoQuery): DicomJsonDataset[] {
    const matches = this.index.list().filter((r) => matchStudy(r, q));
    return page(matches, q).map((r) => studyToQidoJson(r, this.urls.study(r.studyInstanceUid)));
  }

  /** Series of a study (undefined when the study is unknown). */
  searchSeries(study: string, q: QidoQuery): DicomJsonDataset[] | undefined {
    const record = this.index.get(study);
    if (!record) return undefined;
    const series = record.series.filter((s) => matchSeries(s, q));
    return page(series, q).map((s) => seriesToQidoJson(record, s, this.urls.series(study, s.seriesInstanceUid)));
  }

  searchInstances(study: string, series: string, q: QidoQuery): DicomJsonDataset[] | undefined {
    const record = this.index.get(study);
    const s = record?.series.find((x) => x.seriesInstanceUid === series);
    if (!record || !s) return undefined;
    const instances = s.instances.filter((i) => !q.sopInstanceUid || i.sopInstanceUid === q.sopInstanceUid);
    return page(instances, q).map((i) => instanceToQidoJson(record, s, i, this.urls.instance(study, series, i.sopInstanceUid)));
  }

  /** The stored instances under a study, series or single instance; undefined when nothing matches. */
  resolve(study: string, series?: string, sop?: string): InstanceRef[] | undefined {
    const record: StudyRecord | undefined = this.index.get(study);
    if (!record) return undefined;
    const refs: InstanceRef[] = [];
    for (const s of record.series) {
      if (series && s.seriesInstanceUid !== series) continue;
      for (const i of s.instances) {
        if (sop && i.sopInstanceUid !== sop) continue;
        refs.push({ key: { study, series: s.seriesInstanceUid, sop: i.sopInstanceUid }, instance: i });
      }
    }
    return refs.length ? refs : undefined;
  }

  /** WADO-RS metadata: the stored data sets as DICOM JSON (pixel data and large binaries left out). */
  async metadata(refs: InstanceRef[]): Promise<DicomJsonDataset[]> {
    const out: DicomJsonDataset[] = [];
    for (const ref of refs) {
      const { dict } = readDataset(await this.store.read(ref.key));
      const json = toDicomJson(dict);
      json['00081190'] = { vr: 'UR', Value: [this.urls.instance(ref.key.study, ref.key.series, ref.key.sop)] };
      json['00083002'] = { vr: 'UI', Value: [ref.instance.transferSyntaxUid] };
      out.push(json);
    }
    return out;
  }
}

function matchSeries(s: IndexedSeries, q: QidoQuery): boolean {
  if (q.seriesInstanceUid && s.seriesInstanceUid !== q.seriesInstanceUid) return false;
  if (q.modality && s.modality !== q.modality) return false;
  return true;
}
