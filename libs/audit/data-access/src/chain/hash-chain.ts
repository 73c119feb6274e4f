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

/**
 * JSON with object keys sorted at every level: the same envelope always yields the same bytes. Written
 * straight to a string (no sorted copy of the object), byte-identical to
 * `JSON.stringify(value-with-sorted-keys)`: undefined and function members are left out, in arrays they
 * become null, toJSON() is honoured.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function skipped(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}

/** True when the keys are already in sort order (Array.prototype.sort's default: UTF-16 code units). */
function ascending(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

/** Object keys of the contracts repeat for every event: their JSON form is computed once (bounded). */
const QUOTED_KEYS = new Map<string, string>();
function quotedKey(k: string): string {
  let q = QUOTED_KEYS.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (QUOTED_KEYS.size < 10_000) QUOTED_KEYS.set(k, q);
  }
  return q;
}

/** Plain loops and string concatenation: this runs for every consumed event, on the ingest path. */
function write(value: unknown): string | undefined {
  if (typeof value === 'string') return JSON.stringify(value);
  if (skipped(value)) return undefined;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i]) ?? 'null';
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (!ascending(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = write(obj[k]);
    if (v === undefined) continue;
    out += `${first ? '' : ','}${quotedKey(k)}:${v}`;
    first = false;
  }
  return `${out}}`;
}

/** sha256 (hex) of the canonical JSON of a whole envelope (payload included). */
export function envelopeSha256(envelope: unknown): string {
  return sha256Hex(canonicalJson(envelope));
}
