import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@triage/testing';
import { newDataDir } from '../ingest-test.harness';
import { frame, mllpExchange, msa, orm, startOrdersApp, stowChest, type OrdersTestApp } from './orders-test.support';

const run = promisify(execFile);
const MLLP_SEND = '/usr/bin/mllp_send';

/** Sends one message with Debian python3-hl7's mllp_send; returns the ACK it printed. */
async function mllpSend(port: number, message: string): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'mllp-send-')), 'msg.hl7');
  writeFileSync(file, Buffer.concat([Buffer.from([0x0b]), Buffer.from(message), Buffer.from([0x1c, 0x0d])]));
  const { stdout } = await run(MLLP_SEND, ['-p', String(port), '-f', file, '127.0.0.1'], { env: { ...process.env, TCP_NODELAY: '1' } });
  return stdout.split('').filter((c) => c !== '\u000b' && c !== '\u001c').join('').trim();
}

describe('HL7 v2 MLLP listener and the context join', () => {
  let app: OrdersTestApp;
  const dataDir = newDataDir();

  beforeAll(async () => {
    app = await startOrdersApp({ dataDir });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('order first: mllp_send gets AA, and the study.received carries the order context', async () => {
    const ack = await mllpSend(app.mllpPort, orm({ controlId: 'OF-1', accession: 'ACC-OF-1', priority: 'S', patientClass: 'E', reason: 'Fever' }));
    expect(msa(ack.replace(/\n/g, '\r'))).toEqual(['AA', 'OF-1']);
    const uid = await stowChest(app, waitFor, 'ACC-OF-1');
    const received = app.received.find((e) => e.payload.study.studyInstanceUid === uid);
    expect(received?.payload.study.context).toEqual({ patientClass: 'emergency', orderPriority: 'stat', reasonForExam: 'Fever', orderingProvider: 'DR GREGORY HOUSE', site: 'GENERAL' });
  });

  it('study first: the order becomes study.updated (context-updated, revision 1); a resend changes nothing', async () => {
    const uid = await stowChest(app, waitFor, 'ACC-SF-1');
    expect(app.received.find((e) => e.payload.study.studyInstanceUid === uid)?.payload.study.context).toEqual({ patientClass: 'unknown', orderPriority: 'unknown' });
    const message = orm({ controlId: 'SF-1', accession: 'ACC-SF-1', priority: 'A', patientClass: 'I' });
    const [ack] = await mllpExchange(app.mllpPort, [frame(message)], 1);
    expect(msa(ack)).toEqual(['AA', 'SF-1']);
    const update = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid), { description: 'study.updated' });
    expect(update.payload).toMatchObject({ changes: ['context-updated'], revision: 1, addedInstanceCount: 0, study: { context: { patientClass: 'inpatient', orderPriority: 'asap' } } });
    expect(update.traceId).toBe(app.received.find((e) => e.payload.study.studyInstanceUid === uid)?.traceId);

    const [again] = await mllpExchange(app.mllpPort, [frame(message)], 1);
    expect(msa(again)).toEqual(['AA', 'SF-1']);
    // A later, different order for the same accession is announced as revision 2; the resend before it was not.
    const [xo] = await mllpExchange(app.mllpPort, [frame(orm({ controlId: 'SF-2', accession: 'ACC-SF-1', priority: 'S', patientClass: 'I' }))], 1);
    expect(msa(xo)).toEqual(['AA', 'SF-2']);
    await waitFor(() => app.updated.filter((e) => e.payload.study.studyInstanceUid === uid).length === 2, { description: 'second study.updated' });
    expect(app.updated.filter((e) => e.payload.study.studyInstanceUid === uid).map((e) => [e.payload.revision, e.payload.study.context.orderPriority])).toEqual([
      [1, 'asap'],
      [2, 'stat'],
    ]);
    // Cancelling the order (ORC-1 CA) takes its context back: revision 3 with the context unknown again.
    const cancel = orm({ controlId: 'SF-3', accession: 'ACC-SF-1', priority: 'S', patientClass: 'I' }).replace('ORC|NW|', 'ORC|CA|');
    expect(msa((await mllpExchange(app.mllpPort, [frame(cancel)], 1))[0])).toEqual(['AA', 'SF-3']);
    const third = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid && e.payload.revision === 3), { description: 'study.updated after the cancel' });
    expect(third.payload.study.context).toEqual({ patientClass: 'unknown', orderPriority: 'unknown' });
  });

  it('an ADT^A08 after the study sets the patient class when the order did not', async () => {
    const uid = await stowChest(app, waitFor, 'ACC-ADT-1');
    const adt = ['MSH|^~\\&|EHR|GENERAL|MESH|TELE|20261201100000||ADT^A08^ADT_A01|ADT-1|P|2.8', 'EVN|A08', 'PID|1||DEMO-0003^^^GENERAL^MR||DEMO^CHEST', 'PV1|1|O|CLINIC^^^GENERAL'].join('\r');
    const [ack] = await mllpExchange(app.mllpPort, [frame(adt)], 1);
    expect(msa(ack)).toEqual(['AA', 'ADT-1']);
    const update = await waitFor(() => app.updated.find((e) => e.payload.study.studyInstanceUid === uid), { description: 'study.updated after ADT' });
    expect(update.payload.study.context.patientClass).toBe('outpatient');
  });

  it('enhanced mode: MSH-15/16 AL give a commit ACK (CA) and then the application ACK (AA)', async () => {
    const acks = await mllpExchange(app.mllpPort, [frame(orm({ controlId: 'ENH-1', accession: 'ACC-ENH', msh15: 'AL', msh16: 'AL' }))], 2);
    // The commit ACK is an ACK; the application answer to an ORM^O01 is its order response ORR^O02.
    expect(acks.map((a) => a.split('|')[8])).toEqual(['ACK^O01', 'ORR^O02^ORR_O02']);
    expect(acks.map(msa)).toEqual([
      ['CA', 'ENH-1'],
      ['AA', 'ENH-1'],
    ]);
    const errOnly = await mllpExchange(app.mllpPort, [frame(orm({ controlId: 'ENH-2', accession: 'ACC-ENH', msh15: 'ER', msh16: 'AL' })), frame(orm({ controlId: 'ENH-3', accession: 'ACC-ENH' }))], 2);
    expect(errOnly.map(msa)).toEqual([
      ['AA', 'ENH-2'],
      ['AA', 'ENH-3'],
    ]);
  });

  it('writes no patient data, reason for exam or provider name into the logs', () => {
    const logs = app.logLines.join('');
    expect(logs).toContain('HL7 message accepted');
    for (const phi of ['DEMO-0003', 'DEMO^CHEST', '19710923', 'Fever', 'Cough', 'HOUSE', 'GREGORY', 'ACC-OF-1']) expect(logs).not.toContain(phi);
  });

  it('the control ids survive a restart: a resend after it is acknowledged, not processed again', async () => {
    const message = orm({ controlId: 'RS-1', accession: 'ACC-RS-1', priority: 'R' });
    expect(msa((await mllpExchange(app.mllpPort, [frame(message)], 1))[0])).toEqual(['AA', 'RS-1']);
    await app.close();
    app = await startOrdersApp({ dataDir });
    const changed = message.replace('ACC-RS-1', 'ACC-RS-X');
    const answers = await mllpExchange(app.mllpPort, [frame(message), frame(changed)], 2);
    expect(answers.map(msa)).toEqual([
      ['AA', 'RS-1'],
      ['AE', 'RS-1'],
    ]);
    expect(answers[1]).toMatch(/\rERR\|\|MSH\^1\^10\|205\^Duplicate key identifier\^HL70357\|E/);
  });
});
