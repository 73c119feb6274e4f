import { ContractViolationError, createEnvelope, decodeEnvelope, derivedEventId, encodeEnvelope, HEADERS } from './envelope';
import { EVENTS, type ReportIssued } from './events';
import { newTraceContext, parseTraceparent } from './trace';

const payload: ReportIssued = {
  study: {
    studyInstanceUid: '2.25.99',
    modalities: ['CT'],
    patient: { id: 'P-1' },
    context: { patientClass: 'unknown', orderPriority: 'unknown' },
    receivedAt: '2026-11-22T10:00:00.000Z',
  },
  reportId: 'abc-1',
  status: 'preliminary',
  priority: 'routine',
  diagnosticReport: { resourceType: 'DiagnosticReport' },
  issuedAt: '2026-11-22T10:00:01.000Z',
};

describe('envelope', () => {
  const trace = newTraceContext();

  it('round-trips through the wire format with headers that mirror the envelope', () => {
    const env = createEnvelope(EVENTS.reportIssued, payload, { source: 'reporting', subject: '2.25.99', trace });
    const wire = encodeEnvelope(env);
    expect(wire.key).toBe('2.25.99');
    expect(wire.headers[HEADERS.eventId]).toBe(env.eventId);
    expect(wire.headers[HEADERS.eventType]).toBe('report.issued');
    expect(parseTraceparent(wire.headers[HEADERS.traceparent])?.traceId).toBe(trace.traceId);
    expect(decodeEnvelope(EVENTS.reportIssued, wire.value)).toEqual(env);
  });

  it('keeps the trace id and opens a new span for each emitted event', () => {
    const a = createEnvelope(EVENTS.reportIssued, payload, { source: 'reporting', subject: 's', trace });
    const b = createEnvelope(EVENTS.reportIssued, payload, { source: 'reporting', subject: 's', trace });
    expect(a.traceId).toBe(trace.traceId);
    expect(b.traceId).toBe(trace.traceId);
    expect(a.traceparent).not.toBe(b.traceparent);
  });

  it('refuses to build an envelope around an invalid payload', () => {
    expect(() =>
      createEnvelope(EVENTS.reportIssued, { ...payload, priority: 'soon' } as unknown as ReportIssued, { source: 'reporting', subject: 's', trace }),
    ).toThrow(ContractViolationError);
  });

  it.each([
    ['EMPTY', Buffer.alloc(0)],
    ['NOT_JSON', Buffer.from('{nope')],
    ['ENVELOPE_INVALID', Buffer.from(JSON.stringify({ hello: 'world' }))],
  ])('classifies a broken message as %s', (code, value) => {
    expect(() => decodeEnvelope(EVENTS.reportIssued, value)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects an event of another type on the topic and names no field values', () => {
    const env = createEnvelope(EVENTS.reportIssued, payload, { source: 'reporting', subject: 's', trace });
    const wrongType = Buffer.from(JSON.stringify({ ...env, type: 'study.received' }));
    expect(() => decodeEnvelope(EVENTS.reportIssued, wrongType)).toThrow(expect.objectContaining({ code: 'TYPE_MISMATCH' }));
    const badPayload = Buffer.from(JSON.stringify({ ...env, payload: { ...payload, study: { ...payload.study, patient: { id: 42 } } } }));
    let message = '';
    try {
      decodeEnvelope(EVENTS.reportIssued, badPayload);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('payload.study.patient.id');
    expect(message).not.toContain('42');
  });

  it('derives the same event id from the same input, and different ids for different outputs', () => {
    const id = '0b6f7c5e-8b8e-4c1a-9d2e-3f4a5b6c7d8e';
    expect(derivedEventId(id, 'a')).toBe(derivedEventId(id, 'a'));
    expect(derivedEventId(id, 'a')).not.toBe(derivedEventId(id, 'b'));
  });
});
