import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { DicomUidSchema } from '@triage/contracts';
import { Hl7ErrorCode, Hl7Problem, type Hl7Header, unescapeHl7 } from './hl7-message';
import { displayName, hl7DateTimeToIso, patientClassFromHl7, priorityFromHl7, type OrderRecord } from './order-context';

const MAX_ACCESSION = 16; // DICOM SH
const MAX_REASON = 1024;

/**
 * Maps an accepted ORM^O01, OMI^O23 or ADT^A01/A04/A08 onto order / encounter records. Where the fields
 * are (IHE RAD TF-2 Scheduled Workflow): accession number OBR-18 (ORM) or IPC-1 (OMI), falling back to
 * OBR-3 (filler order number); Study Instance UID ZDS-1 (ORM) or IPC-3 (OMI); priority TQ1-9, ORC-7.6,
 * OBR-27.6 or OBR-5; ordering provider ORC-12 or OBR-16; reason for exam OBR-31, else OBR-13; patient
 * class PV1-2; site PV1-3.4, else MSH-4. One record per OBR (an order may request several procedures).
 */
export function mapHl7(message: Hl7Message, header: Hl7Header, receivedAt: Date): OrderRecord[] {
  const ctx = message.context;
  const text = (seg: Hl7Segment | undefined, field: number, component = 1, rep = 0): string =>
    seg ? unescapeHl7(seg.getComponent(field, component, undefined, rep), ctx.escapeCharacter).trim() : '';
  const pid = message.getSegment('PID');
  const pv1 = message.getSegment('PV1');
  const patient = {
    ...(text(pid, 3) ? { id: text(pid, 3).slice(0, 64) } : {}),
    ...(text(pid, 3, 4) ? { issuer: text(pid, 3, 4).slice(0, 64) } : {}),
  };
  const patientClass = patientClassFromHl7(text(pv1, 2));
  const site = (text(pv1, 3, 4) || header.sendingFacility.split(ctx.componentSeparator)[0]).slice(0, 64) || undefined;
  const common = { source: 'hl7v2' as const, messageType: header.type, patient, receivedAt: receivedAt.toISOString() };
  const visitNumber = text(pv1, 19) || undefined;

  if (header.type.startsWith('ADT')) {
    if (!patient.id) throw new Hl7Problem('AE', Hl7ErrorCode.RequiredFieldMissing, ['PID', 1, 3], 'PID-3 patient identifier missing');
    const admittedAt = hl7DateTimeToIso(text(pv1, 44));
    const dischargedAt = hl7DateTimeToIso(text(pv1, 45));
    return [
      {
        ...common,
        kind: 'encounter',
        visitNumber,
        ...(admittedAt ? { admittedAt } : {}),
        ...(dischargedAt ? { dischargedAt } : {}),
        context: { patientClass, orderPriority: 'unknown', ...(site ? { site } : {}) },
      },
    ];
  }

  const segments = message.segments;
  const orders: OrderRecord[] = [];
  let orc: Hl7Segment | undefined;
  let tq1: Hl7Segment | undefined;
  let obrIndex = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.name === 'ORC') {
      orc = seg;
      tq1 = undefined;
    } else if (seg.name === 'TQ1') {
      tq1 = seg;
    } else if (seg.name === 'OBR') {
      obrIndex++;
      const group = followers(segments, i + 1);
      tq1 ??= group.find((s) => s.name === 'TQ1');
      const ipc = group.find((s) => s.name === 'IPC');
      const zds = group.find((s) => s.name === 'ZDS');
      const accession = text(ipc, 1) || text(seg, 18) || text(seg, 3) || text(orc, 3);
      if (accession.length > MAX_ACCESSION) {
        throw new Hl7Problem('AE', Hl7ErrorCode.DataTypeError, [ipc ? 'IPC' : 'OBR', obrIndex, ipc ? 1 : 18], 'accession number longer than 16 characters');
      }
      const studyUid = text(ipc, 3) || text(zds, 1);
      if (studyUid && !DicomUidSchema.safeParse(studyUid).success) {
        throw new Hl7Problem('AE', Hl7ErrorCode.DataTypeError, [ipc ? 'IPC' : 'ZDS', obrIndex, ipc ? 3 : 1], 'Study Instance UID is not a valid DICOM UID');
      }
      if (!accession && !studyUid) {
        throw new Hl7Problem('AE', Hl7ErrorCode.RequiredFieldMissing, ['OBR', obrIndex, 18], 'no accession number or Study Instance UID to join the order on');
      }
      const priority = [text(tq1, 9), text(orc, 7, 6), text(seg, 27, 6), text(seg, 5)].find((p) => p !== '') ?? '';
      const provider = orc && text(orc, 12, 2) ? orc : seg;
      const providerField = provider === orc ? 12 : 16;
      const orderingProvider = displayName({
        id: text(provider, providerField, 1),
        family: text(provider, providerField, 2),
        given: [text(provider, providerField, 3), text(provider, providerField, 4)],
        prefix: text(provider, providerField, 6),
      });
      const reasonForExam = reasons(seg, text) || text(seg, 13) || undefined;
      orders.push({
        ...common,
        kind: 'order',
        ...(accession ? { accessionNumber: accession } : {}),
        ...(studyUid ? { studyInstanceUid: studyUid } : {}),
        ...(text(orc, 2) || text(seg, 2) ? { placerOrderNumber: text(orc, 2) || text(seg, 2) } : {}),
        ...(text(orc, 3) || text(seg, 3) ? { fillerOrderNumber: text(orc, 3) || text(seg, 3) } : {}),
        ...(text(orc, 1) ? { orderStatus: text(orc, 1).toUpperCase() } : {}),
        visitNumber,
        context: {
          patientClass,
          orderPriority: priorityFromHl7(priority),
          ...(reasonForExam ? { reasonForExam: reasonForExam.slice(0, MAX_REASON) } : {}),
          ...(orderingProvider ? { orderingProvider } : {}),
          ...(site ? { site } : {}),
        },
      });
    }
  }
  if (orders.length === 0) throw new Hl7Problem('AE', Hl7ErrorCode.SegmentSequence, ['OBR', 1, 0], 'order without an OBR segment');
  return orders;
}

/** The segments after an OBR up to the next ORC or OBR. */
function followers(segments: Hl7Segment[], from: number): Hl7Segment[] {
  const out: Hl7Segment[] = [];
  for (let i = from; i < segments.length && segments[i].name !== 'ORC' && segments[i].name !== 'OBR'; i++) out.push(segments[i]);
  return out;
}

/** OBR-31 reason for study: every repetition, its text (component 2) or else its code. */
function reasons(obr: Hl7Segment, text: (seg: Hl7Segment | undefined, field: number, component?: number, rep?: number) => string): string {
  const reps = obr.getField(31)?.components.length ?? 0;
  const out: string[] = [];
  for (let r = 0; r < reps; r++) {
    const value = text(obr, 31, 2, r) || text(obr, 31, 1, r);
    if (value) out.push(value);
  }
  return out.join('; ');
}
