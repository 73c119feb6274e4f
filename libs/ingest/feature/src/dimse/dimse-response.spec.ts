import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Dataset, Scp, requests, responses, log as dimseLog } from 'dcmjs-dimse';
import { DimseCommandField, responsePDataTf } from '@triage/ingest-domain';

dimseLog.setLevel('silent');

/** What dcmjs-dimse itself writes on the socket for `response` on presentation context `contextId`. */
function libraryBytes(response: responses.CStoreResponse | responses.CEchoResponse, contextId: number): Buffer {
  const socket = Object.assign(new EventEmitter(), { setTimeout: () => undefined, written: [] as Buffer[] });
  (socket as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => socket.written.push(Buffer.from(b)) > 0;
  const scp = new Scp(socket as unknown as Socket) as unknown as { _reset(): void; _sendPDataTF(c: unknown, pc: number, max: number): void };
  scp._reset(); // stops the library's timeout interval
  scp._sendPDataTF(response, contextId, 0);
  return Buffer.concat(socket.written);
}

function storeRequest(sopClassUid: string, sopInstanceUid: string, messageId: number): requests.CStoreRequest {
  const request = new requests.CStoreRequest(new Dataset({}, '1.2.840.10008.1.2'));
  request.setAffectedSopClassUid(sopClassUid);
  request.setAffectedSopInstanceUid(sopInstanceUid);
  request.setMessageId(messageId);
  return request;
}

describe('responsePDataTf', () => {
  const cases: Array<{ name: string; cls: string; inst: string; id: number; status: number; comment?: string; pc: number }> = [
    { name: 'success, odd-length UIDs', cls: '1.2.840.10008.5.1.4.1.1.2', inst: '2.25.123456789', id: 1, status: 0x0000, pc: 1 },
    { name: 'success, even-length UIDs', cls: '1.2.840.10008.5.1.4.1.1.7', inst: '2.25.1234567890', id: 65535, status: 0x0000, pc: 255 },
    { name: 'warning', cls: '1.2.840.10008.5.1.4.1.1.4', inst: '1.2.3.4.5', id: 300, status: 0xb000, pc: 3 },
    { name: 'failure with an even ErrorComment', cls: '1.2.840.10008.5.1.4.1.1.2', inst: '1.2.3.45', id: 7, status: 0xc000, comment: 'cannot understand: x', pc: 5 },
    { name: 'failure with an odd ErrorComment', cls: '1.2.840.10008.5.1.4.1.1.2', inst: '1.2.3.4', id: 8, status: 0xa900, comment: 'conflicting resend kept aside', pc: 7 },
    { name: 'out of resources', cls: '1.2.840.10008.5.1.4.1.1.1.2', inst: '2.25.9', id: 9, status: 0xa700, comment: 'instance larger than allowed', pc: 9 },
  ];

  it.each(cases)('C-STORE-RSP is byte-identical to dcmjs-dimse: $name', ({ cls, inst, id, status, comment, pc }) => {
    const request = storeRequest(cls, inst, id);
    const response = responses.CStoreResponse.fromRequest(request);
    response.setStatus(status);
    if (comment) response.setErrorComment(comment);
    const ours = responsePDataTf(pc, {
      commandField: DimseCommandField.CStoreRsp,
      affectedSopClassUid: cls,
      messageIdBeingRespondedTo: id,
      status,
      errorComment: comment,
      affectedSopInstanceUid: inst,
    });
    expect(ours.toString('hex')).toBe(libraryBytes(response, pc).toString('hex'));
  });

  it('C-ECHO-RSP is byte-identical to dcmjs-dimse', () => {
    const request = new requests.CEchoRequest();
    request.setMessageId(42);
    const response = responses.CEchoResponse.fromRequest(request);
    response.setStatus(0);
    const ours = responsePDataTf(1, { commandField: DimseCommandField.CEchoRsp, affectedSopClassUid: '1.2.840.10008.1.1', messageIdBeingRespondedTo: 42, status: 0 });
    expect(ours.toString('hex')).toBe(libraryBytes(response, 1).toString('hex'));
  });

  it('frames one PDV: command, last fragment, lengths consistent', () => {
    const pdu = responsePDataTf(3, { commandField: DimseCommandField.CStoreRsp, affectedSopClassUid: '1.2.3', messageIdBeingRespondedTo: 1, status: 0, affectedSopInstanceUid: '1.2.4' });
    expect(pdu[0]).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(pdu.length - 10);
    expect(pdu[10]).toBe(3);
    expect(pdu[11]).toBe(0x03);
    expect(pdu.readUInt32LE(20)).toBe(pdu.length - 24); // CommandGroupLength counts what follows it
  });

  it('refuses an ErrorComment that is not short printable ASCII', () => {
    expect(() => responsePDataTf(1, { commandField: DimseCommandField.CStoreRsp, status: 0xc000, errorComment: 'x'.repeat(65) })).toThrow(RangeError);
    expect(() => responsePDataTf(1, { commandField: DimseCommandField.CStoreRsp, status: 0xc000, errorComment: 'é' })).toThrow(RangeError);
  });
});
