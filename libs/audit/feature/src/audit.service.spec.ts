import { Writable } from 'node:stream';
import { buildThinFlowEnvelopes, type AuditRepository } from '@triage/audit-data-access';
import { EVENTS } from '@triage/contracts';
import { createLogger } from '@triage/observability';
import { AuditService } from './audit.service';

describe('AuditService', () => {
  function setup(duplicate: boolean) {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ service: 'audit', level: 'debug', destination });
    const record = jest.fn().mockResolvedValue({ duplicate });
    const service = new AuditService({ record } as unknown as AuditRepository, logger);
    return { service, record, lines };
  }

  it('records through the repository and logs only the event id and type at debug', async () => {
    const { service, record, lines } = setup(false);
    const flow = buildThinFlowEnvelopes();
    await expect(service.record(flow.received, EVENTS.studyReceived.topic)).resolves.toEqual({ duplicate: false });
    expect(record).toHaveBeenCalledWith(flow.received, EVENTS.studyReceived.topic);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'debug', eventId: flow.received.eventId, type: 'study.received', msg: 'event recorded' });
    const text = JSON.stringify(lines);
    for (const secret of [flow.studyInstanceUid, 'ACC0001', 'TEST-PATIENT', 'Synthetic']) expect(text).not.toContain(secret);
  });

  it('says so when an event was a duplicate', async () => {
    const { service, lines } = setup(true);
    const flow = buildThinFlowEnvelopes();
    await service.record(flow.report, EVENTS.reportIssued.topic);
    expect(lines[0]).toMatchObject({ eventId: flow.report.eventId, duplicate: true, msg: 'duplicate event ignored' });
  });
});
