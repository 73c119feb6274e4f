import { applicationResponseType, buildAck, decodeHl7, Hl7Problem, parseHl7, SUPPORTED_VERSIONS } from './hl7-message';
import { mapHl7 } from './hl7-order.mapper';
import { encounterApplies, hl7DateTimeToIso, joinContext, mergeOrder } from './order-context';

const NOW = new Date('2026-12-01T10:00:00Z');
const orm = (extra = '') =>
  [
    'MSH|^~\\&|RIS|HOSP|MESH|TELE|20261201100000||ORM^O01|CTL-1|P|2.3.1',
    'PID|1||MRN123^^^HOSP^MR||DOE^JANE||19700101|F',
    'PV1|1|E|ED^1^2^HOSP',
    'ORC|NW|PO-9|FO-9||||^^^^^S||||||1234^SMITH^ANNA^^^DR',
    `OBR|1|PO-9|FO-9|CTHEAD^CT Head||||||||||||1234^SMITH^ANNA^^^DR||ACC-77|||||||||||||^Headache \\T\\ vomiting\\X0A\\since today${extra}`,
    'ZDS|1.2.840.99.1^MESH^Application^DICOM',
  ].join('\r');

describe('parseHl7 / mapHl7', () => {
  it('maps an ORM^O01 onto accession, study UID, priority, class, provider, reason, site', () => {
    const { message, header } = parseHl7(orm());
    expect(header).toMatchObject({ type: 'ORM^O01', controlId: 'CTL-1', version: '2.3.1' });
    expect(header.enhanced).toBeUndefined();
    const [order] = mapHl7(message, header, NOW);
    expect(order).toMatchObject({
      kind: 'order',
      accessionNumber: 'ACC-77',
      studyInstanceUid: '1.2.840.99.1',
      orderStatus: 'NW',
      patient: { id: 'MRN123', issuer: 'HOSP' },
      context: { patientClass: 'emergency', orderPriority: 'stat', orderingProvider: 'DR ANNA SMITH', reasonForExam: 'Headache & vomiting\nsince today', site: 'HOSP' },
    });
  });

  it('maps an OMI^O23 (2.5.1) with TQ1 priority and IPC accession / study UID', () => {
    const text = [
      'MSH|^~\\&|RIS|HOSP|MESH|TELE|20261201100000||OMI^O23^OMI_O23|CTL-2|P|2.5.1|||AL|AL',
      'PID|1||MRN9^^^HOSP',
      'PV1|1|O',
      'ORC|NW|PO-1|FO-1',
      'TQ1|1||||||||A^ASAP^HL70078',
      'OBR|1|PO-1|FO-1|XR^Chest',
      'IPC|ACC-1|RP-1|1.2.3.4.5|SPS-1|CR',
    ].join('\r');
    const { message, header } = parseHl7(text);
    expect(header.enhanced).toEqual({ accept: 'AL', application: 'AL' });
    expect(mapHl7(message, header, NOW)[0]).toMatchObject({ accessionNumber: 'ACC-1', studyInstanceUid: '1.2.3.4.5', context: { orderPriority: 'asap', patientClass: 'outpatient' } });
  });

  it.each(SUPPORTED_VERSIONS)('accepts version %s, ORM and ADT', (version) => {
    const text = orm().replace('|2.3.1', `|${version}`);
    expect(mapHl7(parseHl7(text).message, parseHl7(text).header, NOW)[0].accessionNumber).toBe('ACC-77');
    const adt = `MSH|^~\\&|EHR|H|MESH|T|20261201||ADT^A04|A-${version}|P|${version}\rPID|1||M1^^^H\rPV1|1|I`;
    expect(mapHl7(parseHl7(adt).message, parseHl7(adt).header, NOW)[0]).toMatchObject({ kind: 'encounter', patient: { id: 'M1', issuer: 'H' }, context: { patientClass: 'inpatient' } });
  });

  it('reads LF and CRLF segment ends, and keeps an LF inside a field as text', () => {
    const lf = orm().replace(/\r/g, '\n');
    expect(mapHl7(parseHl7(lf).message, parseHl7(lf).header, NOW)[0].accessionNumber).toBe('ACC-77');
    const crlf = orm().replace(/\r/g, '\r\n');
    expect(mapHl7(parseHl7(crlf).message, parseHl7(crlf).header, NOW)[0].studyInstanceUid).toBe('1.2.840.99.1');
    const inField = orm().replace('Headache', 'Head\nache');
    expect(mapHl7(parseHl7(inField).message, parseHl7(inField).header, NOW)[0].context.reasonForExam).toBe('Head\nache & vomiting\nsince today');
  });

  it.each([
    ['no MSH', 'PID|1||X', 'AR', '100'],
    ['unknown type', orm().replace('ORM^O01', 'ORU^R01'), 'AR', '200'],
    ['unknown event', orm().replace('ORM^O01', 'ADT^A40'), 'AR', '201'],
    ['unknown version', orm().replace('|2.3.1', '|9.9'), 'AR', '203'],
    ['missing MSH-10', orm().replace('CTL-1', ''), 'AE', '101'],
  ])('refuses %s with %s / %s', (_name, text, ack, code) => {
    let problem: Hl7Problem | undefined;
    try {
      parseHl7(text);
    } catch (err) {
      problem = err as Hl7Problem;
    }
    expect(problem).toBeInstanceOf(Hl7Problem);
    expect([problem?.ack, problem?.code]).toEqual([ack, code]);
  });

  it('answers AE when an order has nothing to join on', () => {
    const text = orm().replace('ACC-77', '').replace('|FO-9|CTHEAD', '||CTHEAD').replace('ORC|NW|PO-9|FO-9', 'ORC|NW|PO-9|').replace(/\rZDS.*$/, '');
    const { message, header } = parseHl7(text);
    expect(() => mapHl7(message, header, NOW)).toThrow(expect.objectContaining({ ack: 'AE', code: '101' }));
  });

  it('builds original-mode ACKs with ERR per version', () => {
    const { message } = parseHl7(orm());
    const ack = buildAck(message, 'AE', new Hl7Problem('AE', '101' as never, ['OBR', 1, 18], 'x')).split('\r');
    expect(ack[0]).toMatch(/^MSH\|\^~\\&\|MESH\|TELE\|RIS\|HOSP\|\d+.*\|\|ACK\^O01\|[A-Z0-9]+\|P\|2\.3\.1$/);
    expect(ack[1]).toBe('MSA|AE|CTL-1|Required field missing');
    expect(ack[2]).toBe('ERR|OBR^1^18^101&Required field missing&HL70357');
    const v25 = buildAck(parseHl7(orm().replace('|2.3.1', '|2.5')).message, 'AR', new Hl7Problem('AR', '203' as never, ['MSH', 1, 12], 'x')).split('\r');
    expect(v25[2]).toBe('ERR||MSH^1^12|203^Unsupported version id^HL70357|E||||x');
    expect(buildAck(undefined, 'AR', new Hl7Problem('AR', '100' as never, undefined, 'no MSH')).split('\r')[1]).toBe('MSA|AR||Segment sequence error');
  });

  it('answers orders with their order response types, ADT with ACK', () => {
    expect(applicationResponseType({ type: 'ORM^O01', version: '2.3' })).toBe('ORR^O02');
    expect(applicationResponseType({ type: 'ORM^O01', version: '2.5.1' })).toBe('ORR^O02^ORR_O02');
    expect(applicationResponseType({ type: 'OMI^O23', version: '2.5.1' })).toBe('ORL^O24^ORL_O24');
    expect(applicationResponseType({ type: 'ADT^A08', version: '2.5.1' })).toBeUndefined();
    const { message } = parseHl7(orm());
    expect(buildAck(message, 'AA', undefined, undefined, 'ORR^O02').split('|')[8]).toBe('ORR^O02');
  });

  it('decodes 8859/1 when MSH-18 names it', () => {
    const bytes = Buffer.from(`${orm().split('\r')[0]}||||||8859/1\rPID|1||M\xfcller`, 'latin1');
    expect(decodeHl7(bytes)).toContain('Müller');
  });

  it('applies an encounter only to studies of its visit', () => {
    const adt = 'MSH|^~\\&|EHR|H|MESH|T|20261201||ADT^A01|A-1|P|2.5\rPID|1||M1^^^H\rPV1|1|I|W1^^^H' + '|'.repeat(41) + '20261130083000+0100|20261201120000+0100';
    const [enc] = mapHl7(parseHl7(adt).message, parseHl7(adt).header, NOW);
    expect([enc.admittedAt, enc.dischargedAt]).toEqual(['2026-11-30T07:30:00.000Z', '2026-12-01T11:00:00.000Z']);
    expect(encounterApplies(enc, '2026-11-30T09:00:00Z')).toBe(true);
    expect(encounterApplies(enc, '2025-06-01T09:00:00Z')).toBe(false);
    expect(encounterApplies(enc, '2026-12-02T09:00:00Z')).toBe(false);
    const open = { ...enc, admittedAt: undefined, dischargedAt: undefined };
    expect(encounterApplies(open, '2026-11-30T11:00:00Z')).toBe(true); // within a day before the ADT
    expect(encounterApplies(open, '2026-11-28T09:00:00Z')).toBe(false);
    expect(hl7DateTimeToIso('2026')).toBe('2026-01-01T00:00:00.000Z');
    expect(hl7DateTimeToIso('20261301')).toBeUndefined();
  });

  it('joins order and encounter, newer fields winning', () => {
    const { message, header } = parseHl7(orm());
    const [order] = mapHl7(message, header, NOW);
    const xo = mergeOrder(order, { ...order, context: { patientClass: 'unknown', orderPriority: 'routine' } });
    expect(xo.context).toMatchObject({ patientClass: 'emergency', orderPriority: 'routine', site: 'HOSP' });
    const enc = { ...order, kind: 'encounter' as const, context: { patientClass: 'inpatient' as const, orderPriority: 'unknown' as const } };
    expect(joinContext({ ...order, context: { patientClass: 'unknown', orderPriority: 'stat' } }, enc).patientClass).toBe('inpatient');
    expect(joinContext(undefined, undefined)).toEqual({ patientClass: 'unknown', orderPriority: 'unknown' });
  });
});
