import { dicomDateToIso } from './dicom-date';
import type { DicomJsonDataset } from './stow-response.builder';
import { instanceCount, studyModalities, type IndexedInstance, type IndexedSeries, type StudyRecord } from './study-record';

/** The QIDO-RS matching keys the mesh supports (PS3.18 8.3.4), parsed from the query string. */
export interface QidoQuery {
  studyInstanceUids?: string[];
  accessionNumber?: string;
  modality?: string;
  studyDate?: { from?: string; to?: string };
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  limit?: number;
  offset: number;
}

export class QidoQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QidoQueryError';
  }
}

const KEYS: Record<string, string> = {
  '0020000D': 'StudyInstanceUID',
  '00080050': 'AccessionNumber',
  '00080061': 'ModalitiesInStudy',
  '00080060': 'Modality',
  '00080020': 'StudyDate',
  '0020000E': 'SeriesInstanceUID',
  '00080018': 'SOPInstanceUID',
};

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function parseDateRange(value: string): { from?: string; to?: string } {
  const [a, b] = value.includes('-') ? value.split('-', 2) : [value, value];
  const from = a ? dicomDateToIso(a) : undefined;
  const to = b ? dicomDateToIso(b) : undefined;
  if ((a && !from) || (b && !to)) throw new QidoQueryError('StudyDate must be a DA value or range');
  return { from, to };
}

function nonNegative(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new QidoQueryError(`${name} must be a non-negative integer`);
  return Number(v);
}

/** Parses QIDO-RS query parameters (keywords or tags); unknown keys such as includefield are ignored. */
export function parseQidoQuery(raw: Record<string, string | string[] | undefined>): QidoQuery {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const value = single(v);
    if (value === undefined || value === '') continue;
    params[KEYS[k.toUpperCase()] ?? k] = value;
  }
  const q: QidoQuery = { offset: nonNegative(params.offset, 'offset') ?? 0, limit: nonNegative(params.limit, 'limit') };
  if (params.StudyInstanceUID) q.studyInstanceUids = params.StudyInstanceUID.split(/[,\\]/).map((s) => s.trim()).filter(Boolean);
  if (params.AccessionNumber) q.accessionNumber = params.AccessionNumber;
  if (params.ModalitiesInStudy ?? params.Modality) q.modality = (params.ModalitiesInStudy ?? params.Modality).toUpperCase();
  if (params.StudyDate) q.studyDate = parseDateRange(params.StudyDate);
  if (params.SeriesInstanceUID) q.seriesInstanceUid = params.SeriesInstanceUID;
  if (params.SOPInstanceUID) q.sopInstanceUid = params.SOPInstanceUID;
  return q;
}

/** DICOM wildcard matching (PS3.4 C.2.2.2.4): `*` any run, `?` one character; otherwise exact. */
export function wildcardMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  return re.test(value);
}

/** True when the study matches the study-level keys of the query. */
export function matchStudy(record: StudyRecord, q: QidoQuery): boolean {
  if (q.studyInstanceUids && !q.studyInstanceUids.includes(record.studyInstanceUid)) return false;
  if (q.accessionNumber && !wildcardMatch(q.accessionNumber, record.accessionNumber)) return false;
  const modality = q.modality;
  if (modality && !studyModalities(record).some((m) => wildcardMatch(modality, m))) return false;
  if (q.studyDate) {
    if (!record.studyDate) return false;
    if (q.studyDate.from && record.studyDate < q.studyDate.from) return false;
    if (q.studyDate.to && record.studyDate > q.studyDate.to) return false;
  }
  return true;
}

/** Applies offset and limit (QIDO-RS paging). */
export function page<T>(items: T[], q: QidoQuery): T[] {
  const start = Math.min(q.offset, items.length);
  return q.limit === undefined ? items.slice(start) : items.slice(start, start + q.limit);
}

const str = (vr: string, v: string | number | undefined) => (v === undefined || v === '' ? { vr } : { vr, Value: [v] });
const da = (iso: string | undefined) => str('DA', iso?.replace(/-/g, ''));

/** Study-level QIDO-RS result (PS3.18 Table 10.6.3-3). */
export function studyToQidoJson(record: StudyRecord, retrieveUrl: string): DicomJsonDataset {
  return {
    '00080020': da(record.studyDate),
    '00080030': str('TM', record.studyTime),
    '00080050': str('SH', record.accessionNumber),
    '00080061': { vr: 'CS', Value: studyModalities(record) },
    '00081030': str('LO', record.studyDescription),
    '00081190': str('UR', retrieveUrl),
    '00100010': record.patient.name ? { vr: 'PN', Value: [{ Alphabetic: record.patient.name }] } : { vr: 'PN' },
    '00100020': str('LO', record.patient.id),
    '00100030': da(record.patient.birthDate),
    '00100040': str('CS', record.patient.sex),
    '0020000D': str('UI', record.studyInstanceUid),
    '00201206': str('IS', record.series.length),
    '00201208': str('IS', instanceCount(record)),
  };
}

/** Series-level QIDO-RS result. */
export function seriesToQidoJson(record: StudyRecord, series: IndexedSeries, retrieveUrl: string): DicomJsonDataset {
  return {
    '00080060': str('CS', series.modality),
    '0008103E': str('LO', series.seriesDescription),
    '00081190': str('UR', retrieveUrl),
    '00180015': str('CS', series.bodyPart),
    '0020000D': str('UI', record.studyInstanceUid),
    '0020000E': str('UI', series.seriesInstanceUid),
    '00200011': str('IS', series.seriesNumber),
    '00201209': str('IS', series.instances.length),
  };
}

/** Instance-level QIDO-RS result. */
export function instanceToQidoJson(record: StudyRecord, series: IndexedSeries, inst: IndexedInstance, retrieveUrl: string): DicomJsonDataset {
  return {
    '00080016': str('UI', inst.sopClassUid),
    '00080018': str('UI', inst.sopInstanceUid),
    '00081190': str('UR', retrieveUrl),
    '00083002': str('UI', inst.transferSyntaxUid),
    '0020000D': str('UI', record.studyInstanceUid),
    '0020000E': str('UI', series.seriesInstanceUid),
    '00200013': str('IS', inst.instanceNumber),
  };
}
