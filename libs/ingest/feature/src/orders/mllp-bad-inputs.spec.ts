// BAD-INPUTS.md sections 9 (framing) and 10 (content): each case asserts the protocol answer and that the
// same connection still serves the next good message.
import { frame, mllpExchange, msa, orm, startOrdersApp, type OrdersTestApp } from './orders-test.support';

const VT = Buffer.from([0x0b]);
const END = Buffer.from([0x1c, 0x0d]);
const good = (id: string) => frame(orm({ controlId: id, accession: 'ACC-BAD' }));

describe('MLLP listener under bad input (BAD-INPUTS 9 and 10)', () => {
  let app: OrdersTestApp;
  beforeAll(async () => {
    app = await startOrdersApp({ env: { HL7_MAX_MESSAGE_BYTES: '65536', HL7_MLLP_IDLE_TIMEOUT_MS: '1500' } });
  });
  afterAll(async () => {
    await app?.close();
  });

  describe('9. framing', () => {
    it('end bytes in a separate TCP segment, one byte at a time', async () => {
      const f = good('F-1');
      const answers = await mllpExchange(app.mllpPort, [f.subarray(0, f.length - 2), f.subarray(f.length - 2, f.length - 1), f.subarray(f.length - 1), good('F-1N')], 2);
      expect(answers.map(msa)).toEqual([['AA', 'F-1'], ['AA', 'F-1N']]);
    });

    it('several messages in one read', async () => {
      const answers = await mllpExchange(app.mllpPort, [Buffer.concat([good('F-2A'), good('F-2B'), good('F-2C')])], 3);
      expect(answers.map(msa)).toEqual([['AA', 'F-2A'], ['AA', 'F-2B'], ['AA', 'F-2C']]);
    });

    it('missing 0x0B start block', async () => {
      const answers = await mllpExchange(app.mllpPort, [Buffer.concat([Buffer.from(orm({ controlId: 'F-3', accession: 'ACC-BAD' })), END]), good('F-3N')], 2);
      expect(answers.map(msa)).toEqual([['AA', 'F-3'], ['AA', 'F-3N']]);
    });

    it.each([
      ['LF', '\n'],
      ['CRLF', '\r\n'],
    ])('%s instead of CR between segments', async (_name, sep) => {
      const id = `F-4-${_name}`;
      const text = orm({ controlId: id, accession: 'ACC-BAD', reason: 'Dyspnoea' }).replace(/\r/g, sep);
      const answers = await mllpExchange(app.mllpPort, [Buffer.concat([VT, Buffer.from(text), END]), good(`${id}N`)], 2);
      expect(answers.map(msa)).toEqual([['AA', id], ['AA', `${id}N`]]);
    });

    it('a frame over HL7_MAX_MESSAGE_BYTES is answered AR and skipped', async () => {
      const big = orm({ controlId: 'F-5', accession: 'ACC-BAD', reason: 'x'.repeat(70_000) });
      const answers = await mllpExchange(app.mllpPort, [frame(big), good('F-5N')], 2);
      expect(answers.map(msa)).toEqual([['AR', 'F-5'], ['AA', 'F-5N']]);
    });
  });

  describe('10. content', () => {
    it('no MSH: AR with an ERR segment, MSA-2 empty', async () => {
      const answers = await mllpExchange(app.mllpPort, [frame('PID|1||X^^^H\rPV1|1|E'), good('C-1N')], 2);
      expect(answers.map(msa)).toEqual([['AR', ''], ['AA', 'C-1N']]);
      expect(answers[0]).toMatch(/\rERR\|\|\|100\^Segment sequence error\^HL70357\|E/);
    });

    it.each([
      ['unknown message type', orm({ controlId: 'C-2', accession: 'A' }).replace('ORM^O01', 'ZZZ^Z01'), 'C-2', '200'],
      ['unknown trigger event', orm({ controlId: 'C-3', accession: 'A' }).replace('ORM^O01', 'ADT^A40'), 'C-3', '201'],
      ['unknown version', orm({ controlId: 'C-4', accession: 'A', version: '3.0' }), 'C-4', '203'],
    ])('%s: AR, and the listener goes on', async (_name, text, id, code) => {
      const answers = await mllpExchange(app.mllpPort, [frame(text), good(`${id}N`)], 2);
      expect(answers.map(msa)).toEqual([['AR', id], ['AA', `${id}N`]]);
      expect(answers[0]).toContain(`|${code}^`);
    });

    it('missing MSH-10: AE 101', async () => {
      const answers = await mllpExchange(app.mllpPort, [frame(orm({ controlId: '', accession: 'A' })), good('C-5N')], 2);
      expect(answers.map(msa)).toEqual([['AE', ''], ['AA', 'C-5N']]);
      expect(answers[0]).toMatch(/ERR\|\|MSH\^1\^10\|101\^/);
    });

    it('repeated MSH-10: acknowledged AA again', async () => {
      const answers = await mllpExchange(app.mllpPort, [good('C-6'), good('C-6'), good('C-6N')], 3);
      expect(answers.map(msa)).toEqual([['AA', 'C-6'], ['AA', 'C-6'], ['AA', 'C-6N']]);
    });

    it('an order without accession number or Study Instance UID: AE 101 at OBR-18', async () => {
      const answers = await mllpExchange(app.mllpPort, [frame(orm({ controlId: 'C-7' }).replace(/\|PO-1\|FO-1\|/g, '|PO-1||')), good('C-7N')], 2);
      expect(answers.map(msa)).toEqual([['AE', 'C-7'], ['AA', 'C-7N']]);
      expect(answers[0]).toMatch(/ERR\|\|OBR\^1\^18\|101\^/);
    });

    it.each([
      ['LF inside a field', 'Head\nache'],
      ['unescaped & and ^ in OBX-5', 'Head'],
      ['escape sequence \\X0D\\', 'Head\\X0D\\ache'],
    ])('%s: accepted', async (name, reason) => {
      const id = `C-8-${name.length}`;
      let text = orm({ controlId: id, accession: 'ACC-BAD', reason });
      if (name.startsWith('unescaped')) text += '\rOBX|1|TX|REASON^Reason||a & b ^ c ~ d||||||F';
      const answers = await mllpExchange(app.mllpPort, [frame(text), good(`${id}N`)], 2);
      expect(answers.map(msa)).toEqual([['AA', id], ['AA', `${id}N`]]);
    });

    it('a sender stuck mid-frame is disconnected after HL7_MLLP_IDLE_TIMEOUT_MS; others are served', async () => {
      const { connect } = await import('node:net');
      const stuck = connect({ host: '127.0.0.1', port: app.mllpPort });
      const closed = new Promise<void>((resolve) => stuck.on('close', () => resolve()));
      stuck.on('connect', () => stuck.write(Buffer.concat([VT, Buffer.from('MSH|^~\\&|RIS|H')])));
      expect((await mllpExchange(app.mllpPort, [good('C-10N')], 1)).map(msa)).toEqual([['AA', 'C-10N']]);
      await closed;
      expect(stuck.destroyed).toBe(true);
    });

    it('garbage between frames is dropped; the next message is served', async () => {
      const answers = await mllpExchange(app.mllpPort, [Buffer.from('GET / HTTP/1.1\r\n\r\n'), good('C-9N')], 1);
      expect(answers.map(msa)).toEqual([['AA', 'C-9N']]);
    });
  });
});
