/**
 * DIMSE response command sets (PS3.7 9.3 / E.1) encoded directly in Implicit VR Little Endian and framed as
 * one P-DATA-TF PDU (PS3.8 9.3.5), so the acceptor answers a C-STORE without a dcmjs write per response.
 * The bytes are the ones dcmjs-dimse 0.3.3 sends for the same response (proved in ingest-feature's dimse/dimse-response.spec.ts):
 * elements in tag order, CommandGroupLength first, UIDs padded with NUL and text with a space to even length.
 */

/** Command Field values of the responses the mesh sends (PS3.7 E.1-1). */
export const DimseCommandField = {
  CStoreRsp: 0x8001,
  CEchoRsp: 0x8030,
} as const;

/** Command Data Set Type: no data set follows (PS3.7 E.1-1). */
const NO_DATASET = 0x0101;
/** PDV message control header: command, last fragment (PS3.8 E.2). */
const COMMAND_LAST_FRAGMENT = 0x03;
const P_DATA_TF = 0x04;

export interface DimseResponseFields {
  commandField: number;
  affectedSopClassUid?: string;
  messageIdBeingRespondedTo?: number;
  status: number;
  /** ASCII only (the command set's default character repertoire); at most 64 characters (LO). */
  errorComment?: string;
  affectedSopInstanceUid?: string;
}

interface Element {
  element: number;
  value: Buffer;
}

function us(element: number, value: number): Element {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(value & 0xffff, 0);
  return { element, value: b };
}

function str(element: number, value: string, pad: '\0' | ' '): Element {
  return { element, value: Buffer.from(value.length % 2 ? value + pad : value, 'latin1') };
}

/** The command set (group 0000) of a response without a data set, Implicit VR Little Endian. */
export function encodeResponseCommand(fields: DimseResponseFields): Buffer {
  if (fields.errorComment !== undefined && !/^[\x20-\x7e]{0,64}$/.test(fields.errorComment)) {
    throw new RangeError('ErrorComment must be at most 64 printable ASCII characters');
  }
  const elements: Element[] = [];
  if (fields.affectedSopClassUid) elements.push(str(0x0002, fields.affectedSopClassUid, '\0'));
  elements.push(us(0x0100, fields.commandField));
  if (fields.messageIdBeingRespondedTo !== undefined) elements.push(us(0x0120, fields.messageIdBeingRespondedTo));
  elements.push(us(0x0800, NO_DATASET));
  elements.push(us(0x0900, fields.status));
  if (fields.errorComment) elements.push(str(0x0902, fields.errorComment, ' '));
  if (fields.affectedSopInstanceUid) elements.push(str(0x1000, fields.affectedSopInstanceUid, '\0'));
  const groupLength = elements.reduce((n, e) => n + 8 + e.value.length, 0);
  const out = Buffer.allocUnsafe(12 + groupLength);
  out.writeUInt32LE(0x00000000, 0); // (0000,0000) CommandGroupLength, UL
  out.writeUInt32LE(4, 4);
  out.writeUInt32LE(groupLength, 8);
  let o = 12;
  for (const { element, value } of elements) {
    out.writeUInt16LE(0x0000, o);
    out.writeUInt16LE(element, o + 2);
    out.writeUInt32LE(value.length, o + 4);
    value.copy(out, o + 8);
    o += 8 + value.length;
  }
  return out;
}

/** One P-DATA-TF PDU carrying `command` as a single, last command fragment on presentation context `contextId`. */
export function commandPDataTf(contextId: number, command: Buffer): Buffer {
  const pdu = Buffer.allocUnsafe(12 + command.length);
  pdu.writeUInt8(P_DATA_TF, 0);
  pdu.writeUInt8(0, 1);
  pdu.writeUInt32BE(6 + command.length, 2); // PDU length: the one PDV item
  pdu.writeUInt32BE(2 + command.length, 6); // PDV item length: context id, control header, fragment
  pdu.writeUInt8(contextId, 10);
  pdu.writeUInt8(COMMAND_LAST_FRAGMENT, 11);
  command.copy(pdu, 12);
  return pdu;
}

/** The P-DATA-TF PDU answering a request with `fields` (no data set). */
export function responsePDataTf(contextId: number, fields: DimseResponseFields): Buffer {
  return commandPDataTf(contextId, encodeResponseCommand(fields));
}
