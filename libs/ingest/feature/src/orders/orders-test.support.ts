// Test support (not exported): an ingest app with the MLLP listener on, an MLLP client, STOW of a sample study.
import { connect } from 'node:net';
import { request } from 'node:http';
import { decodeEnvelope, EVENTS, type Envelope, type StudyUpdated } from '@triage/contracts';
import { MllpDecoder, mllpFrame } from '@triage/mllp';
import { generateChestXrayStudy } from '@triage/samples';
import { startIngest, type IngestTestApp } from '../ingest-test.harness';
import { MllpServer } from './mllp.server';

export interface OrdersTestApp extends IngestTestApp {
  mllpPort: number;
  updated: Envelope<StudyUpdated>[];
}

export async function startOrdersApp(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<OrdersTestApp> {
  const app = await startIngest({ dataDir: opts.dataDir, env: { HL7_MLLP_PORT: '0', ...opts.env } });
  const updated: Envelope<StudyUpdated>[] = [];
  await app.bus.subscribe({
    groupId: 'test-updated-observer',
    topics: [EVENTS.studyUpdated.topic],
    handler: async (msg) => {
      updated.push(decodeEnvelope(EVENTS.studyUpdated, msg.value));
    },
  });
  const mllpPort = app.app.get(MllpServer).address()?.port ?? 0;
  return Object.assign(app, { mllpPort, updated });
}

/** Sends raw bytes (one write per element) and resolves with the first `answers` frames the listener returns. */
export function mllpExchange(port: number, writes: Buffer[], answers: number, gapMs = 20): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const decoder = new MllpDecoder(1 << 20);
    const got: string[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`expected ${answers} answers, got ${got.length}: ${got.join(' | ')}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f.kind === 'message') got.push(f.payload.toString('utf8'));
      if (got.length >= answers) {
        clearTimeout(timer);
        socket.end();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.on('connect', async () => {
      for (const w of writes) {
        socket.write(w);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

export const frame = (text: string): Buffer => mllpFrame(Buffer.from(text, 'utf8'));

/** MSA-1 and MSA-2 of an ACK. */
export function msa(ack: string): [string, string] {
  const seg = ack.split('\r').find((s) => s.startsWith('MSA|'))?.split('|') ?? [];
  return [seg[1] ?? '', seg[2] ?? ''];
}

export interface OrmOptions {
  controlId: string;
  accession?: string;
  studyUid?: string;
  patientClass?: string;
  priority?: string;
  reason?: string;
  version?: string;
  patientId?: string;
  msh15?: string;
  msh16?: string;
}

/** An ORM^O01 as a RIS sends it (IHE SWF layout: accession OBR-18, Study Instance UID ZDS-1). */
export function orm(o: OrmOptions): string {
  const obr = ['OBR', '1', 'PO-1', 'FO-1', 'XRCHEST^XR Chest PA', ...Array(11).fill(''), '4711^HOUSE^GREGORY^^^DR', '', o.accession ?? '', ...Array(12).fill(''), `^${o.reason ?? 'Cough'}`];
  return [
    `MSH|^~\\&|RIS|GENERAL|MESH|TELE|20261201100000||ORM^O01|${o.controlId}|P|${o.version ?? '2.5.1'}|||${o.msh15 ?? ''}|${o.msh16 ?? ''}`,
    `PID|1||${o.patientId ?? 'DEMO-0003'}^^^GENERAL^MR||DEMO^CHEST||19710923|F`,
    `PV1|1|${o.patientClass ?? 'E'}|ED^^^GENERAL`,
    `ORC|NW|PO-1|FO-1||||^^^^^${o.priority ?? 'S'}`,
    obr.join('|'),
    ...(o.studyUid ? [`ZDS|${o.studyUid}^MESH^Application^DICOM`] : []),
  ].join('\r');
}

/** Stores a one-instance chest study over STOW-RS; resolves with its StudyInstanceUID once study.received is out. */
export async function stowChest(app: IngestTestApp, waitFor: <T>(fn: () => T | undefined, o: { description: string }) => Promise<T>, accessionNumber: string): Promise<string> {
  const study = generateChestXrayStudy({ accessionNumber });
  const boundary = 'orders-test';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), study.files[0], Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${app.url}/dicomweb/studies`, { method: 'POST', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 200) throw new Error(`STOW answered ${status}`);
  await waitFor(() => app.received.find((e) => e.payload.study.studyInstanceUid === study.studyInstanceUid), { description: 'study.received' });
  return study.studyInstanceUid;
}
