import type { Patient, StudyReceived } from '@triage/contracts';
import type { ParsedInstance } from './part10.parser';

/** One stored instance as the study index remembers it. */
export interface IndexedInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceNumber?: number;
  sizeBytes: number;
  sha256: string;
  storedAt: string;
}

export interface IndexedSeries {
  seriesInstanceUid: string;
  modality: string;
  bodyPart?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  instances: IndexedInstance[];
}

/**
 * What the mesh knows about one study, whichever protocol (STOW-RS, later C-STORE) delivered it.
 * Contains PHI (patient); it lives only in the index file and in events, never in logs.
 */
export interface StudyRecord {
  version: 1;
  studyInstanceUid: string;
  /** W3C trace id given to the study the first time it was seen; every event of the study carries it. */
  traceId: string;
  accessionNumber?: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  patient: Patient;
  receivedAt: string;
  updatedAt: string;
  series: IndexedSeries[];
  /** Protocol of the latest change (the origin a pending study.received reports). */
  protocol: 'stow-rs' | 'c-store';
  /** True while instances were added that no published study.received has covered yet. */
  unpublished: boolean;
  publishedAt?: string;
  publishedInstanceCount?: number;
  /** Calling AE title of the DIMSE source of the latest change (its quiet period applies). */
  source?: string;
  /** study.updated revisions published so far (absent until the first update). */
  revision?: number;
}

/** A fresh record for a study first seen in `first`. */
export function newStudyRecord(first: ParsedInstance, traceId: string, now: Date, protocol: StudyRecord['protocol'] = 'stow-rs'): StudyRecord {
  return {
    version: 1,
    studyInstanceUid: first.studyInstanceUid,
    traceId,
    accessionNumber: first.accessionNumber,
    studyDate: first.studyDate,
    studyTime: first.studyTime,
    studyDescription: first.studyDescription,
    patient: first.patient,
    receivedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    series: [],
    protocol,
    unpublished: false,
  };
}

/** The stored copy of a SOP instance in the study, with its series, if any. */
export function findInstance(record: StudyRecord, sopInstanceUid: string): { series: IndexedSeries; instance: IndexedInstance } | undefined {
  for (const series of record.series) {
    const instance = series.instances.find((i) => i.sopInstanceUid === sopInstanceUid);
    if (instance) return { series, instance };
  }
  return undefined;
}

/** Adds a stored instance (mutating the record); returns false when the SOP instance was already there. */
export function addInstance(record: StudyRecord, parsed: ParsedInstance, file: { sizeBytes: number; sha256: string }, now: Date): boolean {
  if (findInstance(record, parsed.sopInstanceUid)) return false;
  let series = record.series.find((s) => s.seriesInstanceUid === parsed.seriesInstanceUid);
  if (!series) {
    series = {
      seriesInstanceUid: parsed.seriesInstanceUid,
      modality: parsed.modality ?? 'OT',
      bodyPart: parsed.bodyPart,
      seriesDescription: parsed.seriesDescription,
      seriesNumber: parsed.seriesNumber,
      instances: [],
    };
    record.series.push(series);
  }
  series.instances.push({
    sopInstanceUid: parsed.sopInstanceUid,
    sopClassUid: parsed.sopClassUid,
    transferSyntaxUid: parsed.transferSyntaxUid,
    instanceNumber: parsed.instanceNumber,
    sizeBytes: file.sizeBytes,
    sha256: file.sha256,
    storedAt: now.toISOString(),
  });
  series.instances.sort((a, b) => (a.instanceNumber ?? Number.MAX_SAFE_INTEGER) - (b.instanceNumber ?? Number.MAX_SAFE_INTEGER));
  // Study-level values the first instance lacked are taken from later ones.
  record.accessionNumber ??= parsed.accessionNumber;
  record.studyDate ??= parsed.studyDate;
  record.studyTime ??= parsed.studyTime;
  record.studyDescription ??= parsed.studyDescription;
  record.patient = { ...parsed.patient, ...record.patient };
  record.updatedAt = now.toISOString();
  record.unpublished = true;
  return true;
}

export function instanceCount(record: StudyRecord): number {
  return record.series.reduce((n, s) => n + s.instances.length, 0);
}

/** ModalitiesInStudy (0008,0061): the distinct series modalities, in order of first appearance. */
export function studyModalities(record: StudyRecord): string[] {
  return [...new Set(record.series.map((s) => s.modality))];
}

/** The study.received v1 payload for the record as it stands. */
export function toStudyReceivedPayload(
  record: StudyRecord,
  opts: { protocol?: 'stow-rs' | 'c-store'; peer?: string; retrieveUrl: string },
): StudyReceived {
  return {
    study: {
      studyInstanceUid: record.studyInstanceUid,
      accessionNumber: record.accessionNumber,
      studyDate: record.studyDate,
      studyDescription: record.studyDescription,
      modalities: studyModalities(record),
      bodyPart: record.series.find((s) => s.bodyPart)?.bodyPart,
      patient: record.patient,
      context: { patientClass: 'unknown', orderPriority: 'unknown' },
      receivedAt: record.receivedAt,
    },
    series: record.series.map((s) => ({
      seriesInstanceUid: s.seriesInstanceUid,
      modality: s.modality,
      bodyPart: s.bodyPart,
      seriesDescription: s.seriesDescription,
      instances: s.instances.map((i) => ({
        sopInstanceUid: i.sopInstanceUid,
        sopClassUid: i.sopClassUid,
        transferSyntaxUid: i.transferSyntaxUid,
        instanceNumber: i.instanceNumber,
        sizeBytes: i.sizeBytes,
        sha256: i.sha256,
      })),
    })),
    instanceCount: instanceCount(record),
    origin: { protocol: opts.protocol ?? record.protocol, ...((opts.peer ?? record.source) ? { peer: opts.peer ?? record.source } : {}) },
    retrieveUrl: opts.retrieveUrl,
  };
}
