// BAD-INPUTS.md sections 1-8 over DIMSE: each hostile input gets the protocol's own answer (A-ABORT,
// A-ASSOCIATE-RJ, a C-STORE failure status), nothing partial is kept, and the next good request is served.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@triage/testing';
import { badInstances, goodInstance } from '../bad-instances.fixture';
import { startIngest, type IngestTestApp } from '../ingest-test.harness';
import { abortRq, acceptedContexts, associateRq, cStoreCommand, datasetOf, dcmtk, pData, RawPeer, releaseRq, type ProposedContext } from './dimse-test.peer';

const AE = 'TRIAGE_MESH';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const A_ABORT = 0x07;
const A_ASSOCIATE_AC = 0x02;
const A_ASSOCIATE_RJ = 0x03;
const CONTEXTS: ProposedContext[] = [
  { id: 1, abstract: '1.2.840.10008.1.1', transferSyntaxes: [EXPLICIT] },
  { id: 3, abstract: SC, transferSyntaxes: [EXPLICIT] },
];

async function echoWorks(port: number): Promise<boolean> {
  return (await dcmtk('echoscu', ['-aec', AE, '127.0.0.1', String(port)])).code === 0;
}

function incomingEmpty(t: IngestTestApp): boolean {
  return readdirSync(join(t.dataDir, 'storage', '.incoming')).filter((n) => n.endsWith('.part')).length === 0;
}

async function associated(port: number): Promise<RawPeer> {
  const peer = await RawPeer.open(port);
  const ac = await peer.associate(AE, 'RAWPEER', CONTEXTS);
  expect(ac?.type).toBe(A_ASSOCIATE_AC);
  return peer;
}

async function storeGood(peer: RawPeer, messageId = 7): Promise<number | undefined> {
  const good = goodInstance();
  return peer.store(3, { sopClass: SC, sopInstance: good.sopInstanceUid, dataset: datasetOf(good.file).dataset, messageId });
}

describe('DIMSE acceptor under hostile input', () => {
  let t: IngestTestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startIngest({ env: { DIMSE_PORT: String(port), DIMSE_AE_TITLE: AE, STUDY_QUIET_PERIOD_MS: '100', INGEST_MAX_INSTANCE_BYTES: String(256 * 1024) } });
  });
  afterAll(() => t.close());

  it('3: answers `GET / HTTP/1.1` with A-ABORT (unrecognized PDU) and closes', async () => {
    const peer = await RawPeer.open(port);
    peer.send(Buffer.from('GET / HTTP/1.1\r\nHost: mesh\r\n\r\n'));
    const answer = await peer.next();
    expect(answer?.type).toBe(A_ABORT);
    expect(answer?.body[3]).toBe(1); // reason: unrecognized PDU
    await peer.untilClosed();
    expect(await echoWorks(port)).toBe(true);
  });

  it('3: aborts a PDU declaring 0xFFFFFFFF bytes, before and after negotiation, without buffering it', async () => {
    const first = await RawPeer.open(port);
    first.send(Buffer.from([0x01, 0, 0xff, 0xff, 0xff, 0xff, 0, 1]));
    expect((await first.next())?.type).toBe(A_ABORT);
    await first.untilClosed();
    const second = await associated(port);
    second.send(Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]));
    const answer = await second.next();
    expect(answer?.type).toBe(A_ABORT);
    expect(answer?.body[3]).toBe(6); // invalid PDU parameter
    await second.untilClosed();
    expect(await echoWorks(port)).toBe(true);
  });

  it('3: rejects an A-ASSOCIATE-RQ with 2,000 presentation contexts and aborts one with 5,000 sub-items', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: (i * 2 + 1) % 256, abstract: SC, transferSyntaxes: [EXPLICIT] }));
    const rq = await RawPeer.open(port);
    const rj = await rq.associate(AE, 'RAWPEER', many(2000));
    expect(rj?.type).toBe(A_ASSOCIATE_RJ);
    expect([...(rj?.body.subarray(1, 4) ?? [])]).toEqual([1, 1, 1]); // permanent, service user, no reason given
    await rq.untilClosed();
    const flood = await RawPeer.open(port);
    flood.send(associateRq({ called: AE, calling: 'RAWPEER', contexts: many(5000) }));
    expect((await flood.next())?.type).toBe(A_ABORT);
    expect(await echoWorks(port)).toBe(true);
  });

  it('4 and the negotiation: refuses the deflated transfer syntax and non-storage abstract syntaxes per context', async () => {
    const peer = await RawPeer.open(port);
    const ac = await peer.associate(AE, 'RAWPEER', [
      { id: 1, abstract: SC, transferSyntaxes: ['1.2.840.10008.1.2.1.99'] },
      { id: 3, abstract: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [EXPLICIT] }, // Study Root C-FIND
      { id: 5, abstract: SC, transferSyntaxes: ['1.2.840.10008.1.2.1.99', '1.2.840.10008.1.2', EXPLICIT] },
    ]);
    const results = acceptedContexts(ac!);
    expect(results.get(1)).toEqual({ result: 4 }); // transfer syntaxes not supported
    expect(results.get(3)).toEqual({ result: 3 }); // abstract syntax not supported
    expect(results.get(5)).toEqual({ result: 0, transferSyntax: EXPLICIT });
    peer.send(releaseRq());
    expect((await peer.next())?.type).toBe(0x06);
  });

  it('7: aborts a second A-ASSOCIATE-RQ on an established association', async () => {
    const peer = await associated(port);
    peer.send(associateRq({ called: AE, calling: 'RAWPEER', contexts: CONTEXTS }));
    const answer = await peer.next();
    expect(answer?.type).toBe(A_ABORT);
    expect(answer?.body[3]).toBe(2); // unexpected PDU
    await peer.untilClosed();
    expect(await echoWorks(port)).toBe(true);
  });

  it('1-3, 5, 8: answers each bad data set with its C-STORE status and stores the next good one on the same association', async () => {
    const peer = await associated(port);
    let messageId = 1;
    const answers: Array<[string, number | undefined]> = [];
    for (const bad of badInstances().filter((b) => !b.fileOnly)) {
      const { dataset } = datasetOf(bad.file);
      answers.push([bad.name, await peer.store(3, { sopClass: bad.sopClassUid, sopInstance: bad.sopInstanceUid, dataset, messageId: messageId++ })]);
      answers.push([`${bad.name}, then a good one`, await storeGood(peer, messageId++)]);
    }
    const expected = badInstances()
      .filter((b) => !b.fileOnly)
      .flatMap((b): Array<[string, number]> => [
        [b.name, b.answer === 'stored' ? 0x0000 : 0xc000],
        [`${b.name}, then a good one`, 0x0000],
      ]);
    expect(answers).toEqual(expected);
    peer.send(releaseRq());
    expect((await peer.next())?.type).toBe(0x06);
    // Nothing left half-written, and no UID became a path outside the store.
    expect(incomingEmpty(t)).toBe(true);
    expect(existsSync(join(t.dataDir, 'x'))).toBe(false);
    expect(readdirSync(t.dataDir).sort()).toEqual(['deid', 'index', 'orders', 'quarantine', 'storage']);
  });

  it('answers 0xA900 when the data set is not the instance the command names, 0xA700 above the size limit', async () => {
    const peer = await associated(port);
    const good = goodInstance();
    const other = goodInstance();
    expect(await peer.store(3, { sopClass: SC, sopInstance: other.sopInstanceUid, dataset: datasetOf(good.file).dataset })).toBe(0xa900);
    expect(await peer.store(3, { sopClass: '1.2.840.10008.5.1.4.1.1.2', sopInstance: good.sopInstanceUid, dataset: datasetOf(good.file).dataset, messageId: 2 })).toBe(0xa900);
    // 300 KiB of data set against INGEST_MAX_INSTANCE_BYTES = 256 KiB: refused, the rest of it drained.
    const big = Buffer.concat([datasetOf(good.file).dataset, Buffer.from([0x09, 0x00, 0x10, 0x10, 0x4f, 0x42, 0, 0]), Buffer.alloc(4), Buffer.alloc(300 * 1024)]);
    big.writeUInt32LE(300 * 1024, big.length - 300 * 1024 - 4);
    expect(await peer.store(3, { sopClass: SC, sopInstance: good.sopInstanceUid, dataset: big, messageId: 3 })).toBe(0xa700);
    expect(await storeGood(peer, 4)).toBe(0x0000);
    peer.close();
  });

  it('6: answers 0xA900 for the same SOP instance in a second series', async () => {
    const peer = await associated(port);
    const good = goodInstance();
    expect(await peer.store(3, { sopClass: SC, sopInstance: good.sopInstanceUid, dataset: datasetOf(good.file).dataset })).toBe(0);
    const moved = Buffer.from(good.file);
    const series = /2\.25\.3\d+/.exec(moved.toString('latin1'))![0];
    moved.write(`2.25.4${series.slice(6)}`, moved.indexOf(series), 'latin1');
    expect(await peer.store(3, { sopClass: SC, sopInstance: good.sopInstanceUid, dataset: datasetOf(moved).dataset, messageId: 2 })).toBe(0xa900);
    peer.close();
  });

  it('7: keeps the instances completed before an abort mid-study and discards the partial one', async () => {
    const peer = await associated(port);
    const first = goodInstance();
    expect(await peer.store(3, { sopClass: SC, sopInstance: first.sopInstanceUid, dataset: datasetOf(first.file).dataset })).toBe(0);
    const second = goodInstance();
    const { dataset } = datasetOf(second.file);
    peer.send(pData(3, cStoreCommand({ sopClass: SC, sopInstance: second.sopInstanceUid, messageId: 2 }), { command: true, last: true }));
    peer.send(pData(3, dataset.subarray(0, dataset.length >> 1), { command: false, last: false }));
    peer.send(abortRq());
    await peer.untilClosed();
    const firstStudy = /2\.25\.2\d+/.exec(first.file.toString('latin1'))![0];
    const secondStudy = /2\.25\.2\d+/.exec(second.file.toString('latin1'))![0];
    const env = await waitFor(() => t.received.find((e) => e.subject === firstStudy), { timeoutMs: 10_000, description: 'the completed instance handed on' });
    expect(env.payload.instanceCount).toBe(1);
    await waitFor(() => incomingEmpty(t), { timeoutMs: 10_000, description: 'the partial instance discarded' });
    expect(existsSync(join(t.dataDir, 'index', 'studies', `${secondStudy}.json`))).toBe(false);
    expect(await echoWorks(port)).toBe(true);
  });

  it('never writes the patient data of the bad inputs to the log', () => {
    const log = t.logLines.join('');
    expect(log).not.toContain('BAD-PAT-77');
    expect(log).not.toContain('BADINPUT');
    expect(readFileSync(join(t.dataDir, 'index', 'studies', readdirSync(join(t.dataDir, 'index', 'studies'))[0]), 'utf8')).toContain('BAD-PAT-77');
  });
});

describe('DIMSE association limits and idle associations', () => {
  let t: IngestTestApp;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    t = await startIngest({ env: { DIMSE_PORT: String(port), DIMSE_AE_TITLE: AE, DIMSE_MAX_ASSOCIATIONS: '1', DIMSE_TIMEOUT_MS: '1000' } });
  });
  afterAll(() => t.close());

  it('7: answers one association over the limit with A-ASSOCIATE-RJ transient (local limit exceeded), then serves again', async () => {
    const holder = await associated(port);
    const refused = await dcmtk('echoscu', ['-v', '-aec', AE, '127.0.0.1', String(port)]);
    expect(refused.output).toMatch(/Association Rejected[\s\S]*Result: Rejected Transient[\s\S]*Local Limit Exceeded/i);
    holder.send(releaseRq());
    expect((await holder.next())?.type).toBe(0x06);
    await holder.untilClosed();
    expect(await echoWorks(port)).toBe(true);
  });

  it('7: aborts an association that is never released (idle past DIMSE_TIMEOUT_MS) and frees its slot', async () => {
    const idle = await associated(port);
    const answer = await idle.next(20_000);
    expect(answer?.type).toBe(A_ABORT);
    await idle.untilClosed();
    expect(await echoWorks(port)).toBe(true);
  });
});
