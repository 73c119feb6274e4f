import type { Priority, StudyRef } from '@triage/contracts';
import { assign, claimStudy, expireClaims, isNeuroEmergency, studyWeight, subspecialtyFor } from './assignment';
import type { PriorityDecision } from './priority-engine';
import { parseReaders, type Claim } from './reader.schema';

const MON_10 = new Date('2026-11-23T10:00:00Z'); // Monday, London = UTC in November
const SAT_10 = new Date('2026-11-28T10:00:00Z');
const weekdays = { kind: 'weekly', timeZone: 'Europe/London', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' };

const READERS = parseReaders([
  { id: 'neo', name: 'Neuro One', subspecialties: ['neuro'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 4 },
  { id: 'nia', name: 'Neuro Two', subspecialties: ['neuro'], licences: [{ jurisdiction: 'UK' }], shifts: [{ kind: 'on-call', from: '2026-11-23T09:00:00Z', to: '2026-11-23T11:00:00Z' }], maxConcurrent: 4 },
  { id: 'cha', name: 'Chest A', subspecialties: ['chest'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 2 },
  { id: 'chb', name: 'Chest B', subspecialties: ['chest', 'general'], licences: [{ site: 'S1' }], shifts: [weekdays], maxConcurrent: 5 },
  { id: 'gen', name: 'General', subspecialties: ['general'], licences: [{ site: 'S1', validUntil: '2026-12-31T00:00:00Z' }], shifts: [weekdays], maxConcurrent: 5 },
]);
const JURISDICTIONS = { S1: 'UK', S2: 'UK', S3: 'IE' };

function study(modality: string, bodyPart: string, site: string | undefined, patientClass: StudyRef['context']['patientClass'] = 'outpatient'): StudyRef {
  return { studyInstanceUid: `1.2.${modality}.${bodyPart}`, modalities: [modality], bodyPart, patient: {}, context: { patientClass, orderPriority: 'routine', site }, receivedAt: MON_10.toISOString() };
}
const decision = (priority: Priority): PriorityDecision => ({ priority, score: 1, reasons: [{ ruleId: 'x', text: 'x' }], ruleSetVersion: 'v' });
const claim = (readerId: string, modality: string, expiresAt = '2026-11-23T12:00:00Z'): Claim => ({
  studyInstanceUid: `9.${readerId}.${modality}.${Math.random()}`,
  readerId,
  claimedAt: '2026-11-23T09:00:00Z',
  expiresAt,
  weight: studyWeight(study(modality, 'CHEST', 'S1')),
});
const target = (a: ReturnType<typeof assign>) => (a.target.kind === 'reader' ? a.target.readerId : `pool:${a.target.pool}`);
const texts = (a: ReturnType<typeof assign>) => a.reasons.map((r) => r.text);

describe('assign: blueprint cases', () => {
  it('suspected haemorrhage on an ED head CT goes to a neuroradiologist on shift', () => {
    const a = assign(study('CT', 'HEAD', 'S1', 'emergency'), decision('critical'), READERS, [claim('nia', 'CT')], MON_10, { jurisdictions: JURISDICTIONS });
    expect(target(a)).toBe('neo');
    expect(texts(a)).toEqual([
      'Neuro emergency (CT HEAD, critical, emergency): to a neuroradiologist',
      'Neuroradiologist: 2 readers',
      'Licensed for site S1: 2 readers',
      'On shift: 2 readers',
      'Under their concurrent cap: 2 readers',
      'Least current workload: reader neo (weighted 0, 0 open)',
    ]);
  });

  it('a routine outpatient chest X-ray goes to the general pool', () => {
    const a = assign(study('CR', 'CHEST', 'S1'), decision('routine'), READERS, [], MON_10);
    expect(target(a)).toBe('pool:general');
    expect(texts(a)).toEqual(['Routine: placed in the general pool for qualified readers to claim']);
  });

  it('a neuro emergency with no neuroradiologist on shift goes to the general pool, saying why', () => {
    const a = assign(study('MR', 'BRAIN', 'S1', 'emergency'), decision('urgent'), READERS, [], SAT_10, { jurisdictions: JURISDICTIONS });
    expect(target(a)).toBe('pool:general');
    expect(texts(a)).toEqual(['Neuro emergency (MR BRAIN, urgent, emergency) but no neuroradiologist is on shift: sent to the general pool']);
  });
});

describe('assign: policy steps', () => {
  it.each<[string, StudyRef, Priority, Claim[], Date, string, RegExp]>([
    ['licence through a jurisdiction', study('CT', 'HEAD', 'S2', 'emergency'), 'critical', [], MON_10, 'nia', /Licensed for site S2: 1 reader$/],
    ['no licence in the jurisdiction', study('CT', 'HEAD', 'S3', 'emergency'), 'critical', [], MON_10, 'pool:general', /no neuroradiologist is licensed for site S3/],
    ['subspecialty match before general', study('CT', 'CHEST', 'S1'), 'urgent', [], MON_10, 'cha', /Subspecialty chest: 2 readers/],
    ['least weighted workload', study('CT', 'CHEST', 'S1'), 'urgent', [claim('cha', 'MR')], MON_10, 'chb', /reader chb \(weighted 0, 0 open\)/],
    ['fewest studies breaks a weight tie', study('CT', 'CHEST', 'S1'), 'urgent', [claim('cha', 'CT'), claim('chb', 'CR'), claim('chb', 'CR')], MON_10, 'cha', /reader cha \(weighted 2, 1 open\)/],
    ['a full reader is skipped', study('CT', 'CHEST', 'S1'), 'urgent', [claim('cha', 'CR'), claim('cha', 'CR')], MON_10, 'chb', /Under their concurrent cap: 1 reader$/],
    ['expired claims do not count', study('CT', 'CHEST', 'S1'), 'urgent', [claim('cha', 'CR', '2026-11-23T09:30:00Z'), claim('cha', 'CR', '2026-11-23T10:00:00Z'), claim('chb', 'CR')], MON_10, 'cha', /reader cha \(weighted 0, 0 open\)/],
    ['no subspecialist: general readers', study('US', 'KNEE', 'S1'), 'urgent', [], MON_10, 'chb', /^no msk reader in the directory: falling back to general readers$/],
    ['nobody on shift: the pool', study('CT', 'CHEST', 'S1'), 'critical', [], SAT_10, 'pool:general', /^no qualified reader is on shift: sent to the general pool$/],
    ['expired licence', study('US', 'KNEE', 'S1'), 'urgent', [claim('chb', 'MR')], new Date('2027-01-04T10:00:00Z'), 'chb', /^Licensed for site S1: 1 reader$/],
    ['no site: the pool', study('CT', 'CHEST', undefined), 'urgent', [], MON_10, 'pool:general', /has no site/],
  ])('%s', (_name, s, priority, claims, now, expected, reason) => {
    const a = assign(s, decision(priority), READERS, claims, now, { jurisdictions: JURISDICTIONS });
    expect(target(a)).toBe(expected);
    expect(texts(a).some((t) => reason.test(t))).toBe(true);
  });

  it('does not treat a non-emergency head CT that is not critical as a neuro emergency', () => {
    expect(isNeuroEmergency(study('CT', 'HEAD', 'S1', 'outpatient'), decision('urgent'))).toBe(false);
    expect(isNeuroEmergency(study('CR', 'SKULL', 'S1', 'emergency'), decision('critical'))).toBe(false);
    const a = assign(study('CT', 'HEAD', 'S1', 'outpatient'), decision('urgent'), READERS, [], MON_10);
    expect(target(a)).toBe('neo');
    expect(texts(a).slice(0, 2)).toEqual(['Subspecialty neuro: 2 readers', 'Licensed for site S1: 1 reader']);
  });
});

describe('study classification', () => {
  it.each([
    ['CT', 'HEAD', 'neuro', 2],
    ['MR', 'KNEE', 'msk', 3],
    ['CR', 'CHEST', 'chest', 1],
    ['MG', 'BREAST', 'breast', 1.5],
    ['OT', 'WHOLEBODY', 'general', 1],
  ])('%s %s → %s, weight %d', (modality, part, sub, weight) => {
    const s = study(modality, part, 'S1');
    expect(subspecialtyFor(s)).toBe(sub);
    expect(studyWeight(s)).toBe(weight);
  });
});

describe('claims', () => {
  it('claims for the TTL and returns expired studies to the pool', () => {
    const c1 = claimStudy(study('CT', 'HEAD', 'S1'), 'neo', MON_10, 15);
    const c2 = claimStudy(study('CR', 'CHEST', 'S1'), 'cha', MON_10, 60);
    expect(c1).toMatchObject({ claimedAt: '2026-11-23T10:00:00.000Z', expiresAt: '2026-11-23T10:15:00.000Z', weight: 2 });
    const at = (iso: string) => expireClaims([c1, c2], new Date(iso));
    expect(at('2026-11-23T10:14:59Z').expired).toEqual([]);
    expect(at('2026-11-23T10:15:00Z').expired.map((c) => c.readerId)).toEqual(['neo']);
    expect(at('2026-11-23T10:15:00Z').active.map((c) => c.readerId)).toEqual(['cha']);
    expect(at('2026-11-23T11:00:00Z').expired).toHaveLength(2);
  });
});
