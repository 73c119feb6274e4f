import { Hl7Message, Hl7Segment } from '@medplum/core';

/** HL7 table 0357 (message error condition codes) used in ERR segments. */
export enum Hl7ErrorCode {
  SegmentSequence = '100',
  RequiredFieldMissing = '101',
  DataTypeError = '102',
  UnsupportedMessageType = '200',
  UnsupportedEventCode = '201',
  UnsupportedProcessingId = '202',
  UnsupportedVersionId = '203',
  DuplicateKey = '205',
  ApplicationInternalError = '207',
}

const ERROR_TEXT: Record<Hl7ErrorCode, string> = {
  [Hl7ErrorCode.SegmentSequence]: 'Segment sequence error',
  [Hl7ErrorCode.RequiredFieldMissing]: 'Required field missing',
  [Hl7ErrorCode.DataTypeError]: 'Data type error',
  [Hl7ErrorCode.UnsupportedMessageType]: 'Unsupported message type',
  [Hl7ErrorCode.UnsupportedEventCode]: 'Unsupported event code',
  [Hl7ErrorCode.UnsupportedProcessingId]: 'Unsupported processing id',
  [Hl7ErrorCode.UnsupportedVersionId]: 'Unsupported version id',
  [Hl7ErrorCode.DuplicateKey]: 'Duplicate key identifier',
  [Hl7ErrorCode.ApplicationInternalError]: 'Application internal error',
};

/** A problem found in a message: becomes MSA-1 AE/AR and an ERR segment. The text names fields, never values. */
export class Hl7Problem extends Error {
  constructor(
    readonly ack: 'AE' | 'AR',
    readonly code: Hl7ErrorCode,
    /** Error location: segment id, sequence (1-based), field, e.g. ['OBR', 1, 18]. */
    readonly location: [string, number, number] | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'Hl7Problem';
  }
}

export const SUPPORTED_VERSIONS = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2'] as const;
export const SUPPORTED_TYPES = ['ORM^O01', 'OMI^O23', 'ADT^A01', 'ADT^A04', 'ADT^A08'] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

/** MSH-15/16 values (HL7 table 0155). */
export type AckCondition = 'AL' | 'NE' | 'ER' | 'SU';

export interface Hl7Header {
  type: SupportedType;
  controlId: string;
  version: string;
  sendingApplication: string;
  sendingFacility: string;
  /** Enhanced mode when the sender filled MSH-15 or MSH-16; undefined means original mode. */
  enhanced?: { accept: AckCondition; application: AckCondition };
}

/** Decodes a frame's bytes with the character set MSH-18 names (ASCII/UTF-8 unless 8859/1 is named). */
export function decodeHl7(payload: Buffer): string {
  const latin = payload.toString('latin1');
  const mshEnd = latin.search(/[\r\n]/);
  const msh = mshEnd < 0 ? latin : latin.slice(0, mshEnd);
  const charset = (msh.length > 3 ? msh.split(msh.charAt(3))[17] ?? '' : '').split(msh.charAt(4) || '^')[0].trim().toUpperCase();
  return charset === '8859/1' ? latin : payload.toString('utf8');
}

/**
 * Normalises segment terminators to CR. CR and CRLF always end a segment; a bare LF ends one only when a
 * segment id follows (senders that use LF). Any other LF sits inside a field: it is kept as the escape
 * \X0A\, because the parser would otherwise cut the field in two.
 */
export function normaliseSegments(text: string): string {
  const fieldSep = text.startsWith('MSH') ? text.charAt(3) : '|';
  const esc = text.startsWith('MSH') ? text.charAt(6) || '\\' : '\\';
  const segStart = new RegExp(`^[A-Z][A-Z0-9]{2}(?:${escapeRegex(fieldSep)}|$)`);
  const lines = text.replace(/\r\n/g, '\r').split('\r');
  const out: string[] = [];
  for (const line of lines) {
    const parts = line.split('\n');
    let current = parts[0];
    for (const part of parts.slice(1)) {
      if (segStart.test(part)) {
        out.push(current);
        current = part;
      } else {
        current += `${esc}X0A${esc}` + part;
      }
    }
    out.push(current);
  }
  return out.filter((s) => s.length > 0).join('\r');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses and checks a message's header; throws Hl7Problem for what the sender must fix (AE) or we refuse (AR). */
export function parseHl7(text: string): { message: Hl7Message; header: Hl7Header } {
  if (!text.startsWith('MSH') || text.length < 8) {
    throw new Hl7Problem('AR', Hl7ErrorCode.SegmentSequence, undefined, 'message does not start with an MSH segment');
  }
  const message = Hl7Message.parse(normaliseSegments(text));
  const msh = message.header;
  const type = `${msh.getComponent(9, 1)}^${msh.getComponent(9, 2)}`.toUpperCase();
  const version = msh.getComponent(12, 1).trim();
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new Hl7Problem('AR', Hl7ErrorCode.UnsupportedVersionId, ['MSH', 1, 12], 'HL7 version not supported');
  }
  if (!(SUPPORTED_TYPES as readonly string[]).includes(type)) {
    const known = ['ORM', 'OMI', 'ADT'].includes(msh.getComponent(9, 1).toUpperCase());
    throw new Hl7Problem('AR', known ? Hl7ErrorCode.UnsupportedEventCode : Hl7ErrorCode.UnsupportedMessageType, ['MSH', 1, 9], 'message type not supported');
  }
  const processing = msh.getComponent(11, 1).toUpperCase();
  if (!['P', 'T', 'D'].includes(processing)) {
    throw new Hl7Problem('AR', Hl7ErrorCode.UnsupportedProcessingId, ['MSH', 1, 11], 'processing id not supported');
  }
  const controlId = field(msh, 10).trim();
  if (!controlId) throw new Hl7Problem('AE', Hl7ErrorCode.RequiredFieldMissing, ['MSH', 1, 10], 'MSH-10 message control id missing');
  if (controlId.length > 199) throw new Hl7Problem('AE', Hl7ErrorCode.DataTypeError, ['MSH', 1, 10], 'MSH-10 too long');
  const accept = ackCondition(field(msh, 15));
  const application = ackCondition(field(msh, 16));
  return {
    message,
    header: {
      type: type as SupportedType,
      controlId,
      version,
      sendingApplication: field(msh, 3),
      sendingFacility: field(msh, 4),
      ...(accept || application ? { enhanced: { accept: accept ?? 'AL', application: application ?? 'AL' } } : {}),
    },
  };
}

/** A field as text ('' when the segment is shorter). */
export function field(seg: Hl7Segment, index: number): string {
  return seg.getField(index)?.toString() ?? '';
}

/** The message as far as the parser reads it, without checks (to address an AR/AE); undefined without MSH. */
export function readMessageLoosely(text: string): Hl7Message | undefined {
  if (!text.startsWith('MSH') || text.length < 8) return undefined;
  try {
    return Hl7Message.parse(normaliseSegments(text));
  } catch {
    return undefined;
  }
}

function ackCondition(value: string): AckCondition | undefined {
  const v = value.trim().toUpperCase();
  return v === 'AL' || v === 'NE' || v === 'ER' || v === 'SU' ? v : undefined;
}

/** Decodes HL7 escape sequences (\F\ \S\ \T\ \R\ \E\ \Xhh\ \.br\) in a field value; other sequences are dropped. */
export function unescapeHl7(value: string, esc = '\\', seps = { field: '|', component: '^', repetition: '~', subcomponent: '&' }): string {
  if (!value.includes(esc)) return value;
  const re = new RegExp(`${escapeRegex(esc)}([^${escapeRegex(esc)}]*)${escapeRegex(esc)}`, 'g');
  return value.replace(re, (_m, seq: string) => {
    switch (seq.charAt(0)) {
      case 'F':
        return seq.length === 1 ? seps.field : '';
      case 'S':
        return seq.length === 1 ? seps.component : '';
      case 'T':
        return seq.length === 1 ? seps.subcomponent : '';
      case 'R':
        return seq.length === 1 ? seps.repetition : '';
      case 'E':
        return seq.length === 1 ? esc : '';
      case 'X':
        return /^X([0-9A-Fa-f]{2})+$/.test(seq) ? Buffer.from(seq.slice(1), 'hex').toString('latin1') : '';
      case '.':
        return seq === '.br' ? '\n' : '';
      default:
        return '';
    }
  });
}

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

let ackSeq = 0;

/**
 * MSH-9 of the application-level answer: the order responses the standard pairs with each order message
 * (ORM^O01 → ORR^O02, OMI^O23 → ORL^O24; chapter 4), the general ACK for ADT. Accept-level (commit)
 * acknowledgements in enhanced mode are always ACK.
 */
export function applicationResponseType(header: Pick<Hl7Header, 'type' | 'version'>): string | undefined {
  const structured = header.version !== '2.3';
  if (header.type === 'ORM^O01') return structured ? 'ORR^O02^ORR_O02' : 'ORR^O02';
  if (header.type === 'OMI^O23') return 'ORL^O24^ORL_O24';
  return undefined;
}

/**
 * An acknowledgement for `message` (or, when the message could not be parsed, for nothing: MSA-2 empty),
 * as ACK or as `messageType`. ERR follows the version: ERR-1 (ELD) before 2.5, ERR-2/3/4 from 2.5 on.
 */
export function buildAck(
  message: Hl7Message | undefined,
  code: AckCode,
  problem?: Hl7Problem,
  self = { application: 'TRIAGE-MESH', facility: '' },
  messageType?: string,
): string {
  const base = message ?? Hl7Message.parse(`MSH|^~\\&|||${self.application}|${self.facility}|||ACK|-|P|2.5.1`);
  const version = base.header.getComponent(12, 1) || '2.5.1';
  const err = problem ? errSegment(version, problem) : undefined;
  const ack = base.buildAck({ ackCode: code as 'AA', ...(err ? { errSegment: err } : {}) });
  if (!message) {
    ack.header.setField(3, self.application);
    ack.header.setField(4, self.facility);
    ack.header.setField(5, '');
    ack.header.setField(6, '');
    ack.getSegment('MSA')?.setField(2, '');
  }
  ack.header.setField(10, `${Date.now().toString(36)}${(ackSeq++ % 1296).toString(36).padStart(2, '0')}`.toUpperCase());
  ack.header.setField(11, base.header.getComponent(11, 1) || 'P');
  if (messageType) ack.header.setField(9, messageType);
  if (problem) ack.getSegment('MSA')?.setField(3, ERROR_TEXT[problem.code]);
  return ack.toString();
}

function errSegment(version: string, p: Hl7Problem): Hl7Segment {
  const [seg, seq, field] = p.location ?? ['', 0, 0];
  const cwe = `${p.code}^${ERROR_TEXT[p.code]}^HL70357`;
  if (version < '2.5') {
    return new Hl7Segment(['ERR', p.location ? `${seg}^${seq}^${field}^${p.code}&${ERROR_TEXT[p.code]}&HL70357` : `^^^${p.code}&${ERROR_TEXT[p.code]}&HL70357`]);
  }
  return new Hl7Segment(['ERR', '', p.location ? `${seg}^${seq}^${field}` : '', cwe, 'E', '', '', '', p.message]);
}
