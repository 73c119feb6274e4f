import { Hl7Message } from '@medplum/core';
import { fixtureAlert, fixtureDecision, fixtureRead, fixtureStudy } from '@triage/test-peers';
import { escapeHl7, messageControlId } from './hl7-encoding';
import { interpretAck } from './hl7-ack';
import { buildAdtAlert, buildFinalOru, buildPreliminaryOru } from './hl7-messages';

const parties = { sendingApplication: 'TRIAGE-MESH', sendingFacility: 'TELERAD', receivingApplication: 'EHR', receivingFacility: 'HOSP' };
const study = fixtureStudy(9, { patient: { id: 'P|1^X', name: 'O&BRIEN^MARY', birthDate: '1961-07-04', sex: 'F' } });

describe('HL7 v2 messages', () => {
  it('builds a preliminary ORU^R01 that carries the finding, with delimiters in data escaped', () => {
    const m = buildPreliminaryOru(fixtureDecision(study, true), 'ev-1', parties, '2026-11-22T10:00:04.000Z');
    const parsed = Hl7Message.parse(m.text);
    expect(parsed.getSegment('MSH')?.getField(9).toString()).toBe('ORU^R01^ORU_R01');
    expect(parsed.getSegment('MSH')?.getField(10).toString()).toBe(m.controlId);
    expect(parsed.getSegment('PID')?.getField(3).getComponent(1)).toBe(escapeHl7('P|1^X'));
    expect(parsed.getSegment('OBR')?.getField(25).toString()).toBe('P');
    const obx = parsed.getAll('OBX');
    expect(obx[0].getField(3).getComponent(1)).toBe('RDES194');
    expect(obx[0].getField(3).getComponent(4)).toBe('1386000');
    expect(obx[0].getField(5).getComponent(1)).toBe('52101004');
    expect(obx[1].getField(5).toString()).toBe('0.9700');
    expect(obx.every((o) => o.getField(11).toString() === 'P')).toBe(true);
    expect(m.text).not.toContain('\n');
  });

  it('builds a final ORU^R01 with the impression, the conclusion codes and status F (C when amended)', () => {
    const m = buildFinalOru(fixtureRead(study, true), 'ev-2', parties, '2026-11-22T10:20:01.000Z');
    const parsed = Hl7Message.parse(m.text);
    expect(parsed.getSegment('OBR')?.getField(25).toString()).toBe('F');
    const values = parsed.getAll('OBX').map((o) => o.getField(5).toString());
    expect(values).toContain('1386000^Intracranial hemorrhage (disorder)^SCT');
    expect(values.join(' ')).toContain('intraparenchymal haemorrhage');
    const amended = Hl7Message.parse(buildFinalOru(fixtureRead(study, true, 'amended'), 'ev-3', parties, '2026-11-22T10:30:00.000Z').text);
    expect(amended.getSegment('OBR')?.getField(25).toString()).toBe('C');
  });

  it('builds an ADT alert of the configured event type with OBX for the critical finding', () => {
    const m = buildAdtAlert(fixtureAlert(study), 'ev-4', parties, '2026-11-22T10:00:04.000Z', 'A08');
    const parsed = Hl7Message.parse(m.text);
    expect(parsed.getSegment('MSH')?.getField(9).toString()).toBe('ADT^A08^ADT_A01');
    expect(parsed.getSegment('EVN')?.getField(1).toString()).toBe('A08');
    expect(parsed.getSegment('PV1')?.getField(2).toString()).toBe('E');
    expect(parsed.getAll('OBX')[0].getField(3).getComponent(1)).toBe('RDES194');
    expect(parsed.getAll('OBX').at(-1)?.getField(5).toString()).toMatch(/^CRITICAL FINDING ALERT/);
    const byCode = new Map(parsed.getAll('OBX').map((o) => [o.getField(3).getComponent(1), o.getField(5).toString()]));
    expect(byCode.get('110180')).toBe(study.studyInstanceUid);
    expect(byCode.get('121022')).toBe(study.accessionNumber);
  });

  it('derives MSH-10 from the event: stable across retries, different per event and kind, at most 20 characters', () => {
    expect(messageControlId('ev-1', 'oru')).toBe(messageControlId('ev-1', 'oru'));
    expect(messageControlId('ev-1', 'oru')).not.toBe(messageControlId('ev-2', 'oru'));
    expect(messageControlId('ev-1', 'oru')).not.toBe(messageControlId('ev-1', 'adt'));
    expect(messageControlId('ev-1', 'oru')).toHaveLength(20);
  });
});

describe('interpretAck', () => {
  it('maps AA to done, AE to dead-letter, AR and foreign ACKs to retry, without the receiver text in the detail', () => {
    expect(interpretAck({ msa1: 'AA', msa2: 'X1' }, 'X1').action).toBe('done');
    const ae = interpretAck({ msa1: 'AE', msa2: 'X1', msa3: 'Unknown patient DOE', errCode: '204' }, 'X1');
    expect(ae).toMatchObject({ action: 'dead-letter', detail: 'AE (ERR-3 204)', receiverText: 'Unknown patient DOE' });
    expect(interpretAck({ msa1: 'AR', msa2: 'X1' }, 'X1').action).toBe('retry');
    expect(interpretAck({ msa1: 'AA', msa2: 'OTHER' }, 'X1').action).toBe('retry');
  });
});
