import { EVENTS, type Envelope, type StudyReceived } from '@triage/contracts';
import { newUuidUid } from '@triage/samples';
import { createHash, randomUUID } from 'node:crypto';
import { InferenceException } from './inference.exception';
import type { InstanceRef, InstanceSource } from './instance.repository';

/** In-memory DICOMweb: instances by SOPInstanceUID; counts retrievals. */
export class MemorySource implements InstanceSource {
  readonly files = new Map<string, Uint8Array>();
  calls = 0;
  failWith?: Error;
  async retrieve(ref: InstanceRef): Promise<Uint8Array> {
    this.calls += 1;
    if (this.failWith) throw this.failWith;
    const f = this.files.get(ref.sopInstanceUid);
    if (!f) throw new InferenceException('RETRIEVE_FAILED', `HTTP 404 for ${ref.sopInstanceUid}`);
    return f;
  }
}

export interface SeriesSpec {
  modality: string;
  bodyPart: string;
  sopClassUid: string;
  files: Uint8Array[];
  transferSyntaxUid?: string;
}

/** A study.received envelope for the given series, with their files served by `source`. */
export function studyEnvelope(source: MemorySource, seriesSpecs: SeriesSpec[]): Envelope<StudyReceived> {
  const studyUid = newUuidUid();
  const series = seriesSpecs.map((s) => {
    const instances = s.files.map((file, i) => {
      const sop = newUuidUid();
      source.files.set(sop, file);
      return {
        sopInstanceUid: sop,
        sopClassUid: s.sopClassUid,
        transferSyntaxUid: s.transferSyntaxUid ?? '1.2.840.10008.1.2.1',
        instanceNumber: i + 1,
        sizeBytes: file.byteLength,
        sha256: createHash('sha256').update(file).digest('hex'),
      };
    });
    return { seriesInstanceUid: newUuidUid(), modality: s.modality, bodyPart: s.bodyPart, instances };
  });
  const payload: StudyReceived = {
    study: {
      studyInstanceUid: studyUid,
      accessionNumber: 'ACC0001',
      modalities: [...new Set(seriesSpecs.map((s) => s.modality))],
      bodyPart: seriesSpecs[0].bodyPart,
      patient: { id: 'DEMO-0001', name: 'DEMO^HEAD BLEED', birthDate: '1958-04-12', sex: 'M' },
      context: { patientClass: 'emergency', orderPriority: 'stat' },
      receivedAt: new Date().toISOString(),
    },
    series,
    instanceCount: series.reduce((n, s) => n + s.instances.length, 0),
    origin: { protocol: 'stow-rs' },
    retrieveUrl: `http://127.0.0.1:1/dicomweb/studies/${studyUid}`,
  };
  return {
    eventId: randomUUID(),
    type: EVENTS.studyReceived.type,
    schemaVersion: 1,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    occurredAt: new Date().toISOString(),
    source: 'ingest',
    subject: studyUid,
    payload,
  };
}
