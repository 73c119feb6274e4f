import { createHash } from 'node:crypto';

/** prev_hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);
const VERSION = 'audit-chain-v1';

/** The fields of an audit_event row that its link hash covers. */
export interface ChainLinkFields {
  chainSeq: bigint;
  eventId: string;
  topic: string;
  type: string;
  schemaVersion: number;
  source: string;
  traceId: string;
  subject: string;
  occurredAt: Date;
  recordedAt: Date;
  envelopeSha256: string | null;
  prevHash: string;
}

/** `<utf8 byte length>:<value>`, or `~` for null: unambiguous whatever the values contain. */
function field(value: string | null): string {
  return value === null ? '~' : `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

/**
 * The canonical serialisation of a link. Must stay byte-identical to the backfill in the hash_chain
 * migration (PostgreSQL computes the same string for rows that existed before the chain).
 */
export function canonicalLink(l: ChainLinkFields): string {
  return [
    VERSION,
    l.chainSeq.toString(),
    l.eventId.toLowerCase(), // PostgreSQL returns UUIDs in lower case
    l.topic,
    l.type,
    String(l.schemaVersion),
    l.source,
    l.traceId,
    l.subject,
    l.occurredAt.toISOString(),
    l.recordedAt.toISOString(),
    l.envelopeSha256,
    l.prevHash,
  ]
    .map(field)
    .join('');
}

/** sha256 (hex) of a link's canonical serialisation. */
export function linkHash(l: ChainLinkFields): string {
  return sha256Hex(canonicalLink(l));
}

/** sha256 (hex) of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every level: the same envelope always yields the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(obj[k])]),
    );
  }
  return value;
}

/** sha256 (hex) of the canonical JSON of a whole envelope (payload included). */
export function envelopeSha256(envelope: unknown): string {
  return sha256Hex(canonicalJson(envelope));
}
