import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateChestXrayStudy } from '@triage/samples';
import { describeWithSharedData, sharedDataDir } from '@triage/testing';
import { readDataset } from '../part10.parser';
import { deidentifyPart10 } from './deidentify';
import { PseudonymMap } from './pseudonym-map';

interface Dict {
  [tag: string]: { vr: string; Value?: unknown[] };
}
const dcmjs = require('dcmjs') as {
  data: { DicomMessage: { readFile(b: ArrayBuffer): { meta: Dict; dict: Dict } }; DicomDict: new (m: Dict) => { dict: Dict; write(): ArrayBuffer } };
};
const ab = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
const value = (d: Dict, tag: string) => d[tag]?.Value?.[0];

/** The file with extra elements set (a private tag, names and dates the profile must clean). */
function withElements(file: Buffer, extra: Dict): Buffer {
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(ab(file));
  const out = new dcmjs.data.DicomDict(meta);
  out.dict = { ...dict, ...extra };
  return Buffer.from(out.write());
}

function dcmdumpOk(file: Buffer): boolean {
  const path = join(mkdtempSync(join(tmpdir(), 'deid-')), 'x.dcm');
  writeFileSync(path, file);
  execFileSync('dcmdump', ['-q', '+E', path], { stdio: 'pipe' });
  return true;
}

describe('deidentifyPart10 (PS3.15 Basic Application Level Confidentiality Profile)', () => {
  const study = generateChestXrayStudy({ accessionNumber: 'ACC-DEID-1', patient: { name: 'SMITH^JOAN', id: 'MRN-4242' } });
  const original = withElements(study.files[0], {
    '00091010': { vr: 'LO', Value: ['PRIVATE SECRET'] },
    '00081070': { vr: 'PN', Value: [{ Alphabetic: 'TECH^TOM' }] },
    '00081030': { vr: 'LO', Value: ['CHEST FOR JOAN SMITH'] },
    '00081140': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: ['1.3.12.2.1107.5.9.1'] }, '00081155': { vr: 'UI', Value: ['1.2.3.4.5.6'] } }] },
  });

  it('replaces patient and UIDs with reversible pseudonyms, cleans what the profile lists, and marks the instance', () => {
    const map = new PseudonymMap(randomBytes);
    const before = readDataset(original).dict;
    const out = deidentifyPart10(original, map);
    if (out.kind !== 'deidentified') throw new Error('held back');
    const { meta, dict } = dcmjs.data.DicomMessage.readFile(ab(out.file));
    const patient = String(value(dict, '00100020'));
    expect(patient).toMatch(/^ANON-[0-9A-F]{16}$/);
    expect((value(dict, '00100010') as { Alphabetic: string }).Alphabetic).toBe(patient);
    expect(value(dict, '0020000D')).toBe(out.studyInstanceUid);
    expect(value(meta, '00020003')).toBe(out.sopInstanceUid);
    expect(map.original(out.studyInstanceUid)).toEqual({ kind: 'uid', original: study.studyInstanceUid, pseudonym: out.studyInstanceUid });
    expect(map.original(patient)?.original).toBe('|MRN-4242');
    expect([value(dict, '00120062'), value(dict, '00280303')]).toEqual(['YES', 'REMOVED']);
    expect((dict['00120064'].Value?.[0] as Dict)['00080100'].Value).toEqual(['113100']);
    const empty = (tag: string) => (dict[tag].Value ?? []).filter((v) => v !== '');
    expect(empty('00080050')).toEqual([]); // AccessionNumber Z
    expect(empty('00080020')).toEqual([]); // StudyDate Z
    expect(dict['00091010']).toBeUndefined(); // private
    expect(dict['00081030']).toBeUndefined(); // StudyDescription X
    const ref = dict['00081140'].Value?.[0] as Dict;
    expect(value(ref, '00081150')).toBe('1.3.12.2.1107.5.9.1'); // SOP class kept, even a vendor's
    expect(value(ref, '00081155')).toBe(map.uid('1.2.3.4.5.6')); // referenced instance replaced consistently
    expect(dict['7FE00010']).toEqual(dcmjs.data.DicomMessage.readFile(ab(original)).dict['7FE00010']);
    const bytes = out.file.toString('latin1');
    for (const phi of ['SMITH', 'JOAN', 'MRN-4242', 'ACC-DEID-1', 'TECH', 'PRIVATE SECRET', study.studyInstanceUid, String(value(before, '00080018'))]) expect(bytes).not.toContain(phi);
    expect(dcmdumpOk(out.file)).toBe(true);
  });

  it('gives the same pseudonyms to every instance of a study, and to the same patient', () => {
    const map = new PseudonymMap(randomBytes);
    const a = deidentifyPart10(original, map);
    expect(map.drain().map((e) => e.kind)).toContain('patient');
    const b = deidentifyPart10(original, map);
    expect(a.kind === 'deidentified' && b.kind === 'deidentified' && a.studyInstanceUid === b.studyInstanceUid).toBe(true);
    expect(map.drain()).toEqual([]); // nothing new for the second pass
  });

  it('holds back an instance with burned-in annotation', () => {
    const burned = withElements(original, { '00280301': { vr: 'CS', Value: ['YES'] } });
    expect(deidentifyPart10(burned, new PseudonymMap(randomBytes))).toEqual({ kind: 'held-back', reason: 'burned-in-annotation' });
  });

  describeWithSharedData('real files', () => {
    it.each(['CT_small.dcm', 'MR_small.dcm', 'MR_small_RLE.dcm', 'MR_small_implicit.dcm'])('de-identifies the shared %s into a file dcmdump reads, pixel data intact', (name) => {
      const input = readFileSync(join(sharedDataDir(), 'dicom', name));
      const out = deidentifyPart10(input, new PseudonymMap(randomBytes));
      if (out.kind !== 'deidentified') throw new Error('held back');
      expect(dcmdumpOk(out.file)).toBe(true);
      const pixels = (b: Buffer) => JSON.stringify(dcmjs.data.DicomMessage.readFile(ab(b)).dict['7FE00010']);
      expect(pixels(out.file)).toBe(pixels(input));
      expect(dcmjs.data.DicomMessage.readFile(ab(out.file)).meta['00020010'].Value).toEqual(dcmjs.data.DicomMessage.readFile(ab(input)).meta['00020010'].Value);
    });

    it('holds back a Secondary Capture that does not say whether it has burned-in annotation (JPEG-lossy.dcm)', () => {
      expect(deidentifyPart10(readFileSync(join(sharedDataDir(), 'dicom', 'JPEG-lossy.dcm')), new PseudonymMap(randomBytes))).toEqual({ kind: 'held-back', reason: 'burned-in-annotation-unknown' });
    });
  });
});
