/**
 * What the mesh's DIMSE acceptor agrees to: which calling AEs may connect (per source), which abstract
 * syntaxes are storage SOP classes, and which of the proposed transfer syntaxes it takes.
 */

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Every standard storage SOP class (PS3.4 Annex B, PS3.6 Annex A) lives under this root... */
const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';
/** ...except these storage classes, defined under other roots. */
const OTHER_STORAGE_CLASSES = new Set([
  '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction Storage
  '1.2.840.10008.5.1.4.34.10', // RT Brachy Application Setup Delivery Instruction Storage
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol Storage
  '1.2.840.10008.5.1.4.39.1', // Color Palette Storage
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template Storage
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template Storage
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group Storage
]);

/** True for a standard storage SOP class UID (what C-STORE accepts). */
export function isStorageSopClass(uid: string): boolean {
  return (uid.startsWith(STORAGE_ROOT) && /^[0-9.]+$/.test(uid) && !uid.endsWith('.')) || OTHER_STORAGE_CLASSES.has(uid);
}

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
} as const;

/**
 * Transfer syntaxes stored as sent (no transcoding): the uncompressed ones and the encapsulated
 * standard ones whose framing the structure check understands. Deflate is left out on purpose: inflating
 * on receipt is a decompression-bomb risk, and every sender that proposes it also proposes another.
 */
const ACCEPTED_TRANSFER_SYNTAXES = new Set<string>([
  TRANSFER_SYNTAX.explicitLittle,
  TRANSFER_SYNTAX.implicitLittle,
  TRANSFER_SYNTAX.explicitBig,
  '1.2.840.10008.1.2.1.98', // Encapsulated Uncompressed Explicit VR Little Endian
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.4.50', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51', // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57', // JPEG Lossless (Process 14)
  '1.2.840.10008.1.2.4.70', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.4.201', // HTJ2K Lossless
  '1.2.840.10008.1.2.4.202', // HTJ2K Lossless RPCL
  '1.2.840.10008.1.2.4.203', // HTJ2K
  '1.2.840.10008.1.2.4.110', // JPEG XL Lossless
  '1.2.840.10008.1.2.4.111', // JPEG XL JPEG Recompression
  '1.2.840.10008.1.2.4.112', // JPEG XL
]);

/**
 * The transfer syntax to accept from those proposed for one presentation context, or undefined. The
 * sender's order is kept (its first acceptable choice, so compressed data stays as sent), except that
 * implicit VR little endian is taken only when nothing explicit is on offer.
 */
export function chooseTransferSyntax(proposed: readonly string[], abstractSyntax: string): string | undefined {
  const clean = proposed.map((ts) => ts.replace(/\0+$/, '').trim());
  if (abstractSyntax === VERIFICATION_SOP_CLASS) {
    return clean.find((ts) => ts === TRANSFER_SYNTAX.explicitLittle || ts === TRANSFER_SYNTAX.implicitLittle);
  }
  const acceptable = clean.filter((ts) => ACCEPTED_TRANSFER_SYNTAXES.has(ts));
  return acceptable.find((ts) => ts !== TRANSFER_SYNTAX.implicitLittle) ?? acceptable[0];
}

/** One configured DICOM source: a calling AE title, optionally bound to a peer address, and its quiet period. */
export interface DimseSource {
  aeTitle: string;
  /** Peer IP address the AE must connect from; any address when absent. */
  host?: string;
  /** Quiet period (ms) after this source's last instance before a study is handed on; the default when absent. */
  quietPeriodMs?: number;
}

/** A valid AE title (PS3.5 table 6.2-1): 1-16 characters of default repertoire, no backslash or controls. */
export function isAeTitle(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length > 0 && value.length <= 16 && /^[\x20-\x5b\x5d-\x7e]+$/.test(value);
}

/**
 * Parses `DIMSE_SOURCES`: comma-separated `AE[@host][=quietMs]` entries, or `*` for any calling AE.
 * Returns the sources (empty list = any AE) or the problems found.
 */
export function parseDimseSources(value: string): { sources: DimseSource[]; any: boolean; problems: string[] } {
  const sources: DimseSource[] = [];
  const problems: string[] = [];
  let any = false;
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === '*') {
      any = true;
      continue;
    }
    const m = /^([^@=]+)(?:@([^=]+))?(?:=(\d+))?$/.exec(raw);
    if (!m || !isAeTitle(m[1].trim())) {
      problems.push(`"${raw}" is not AE[@host][=quietMs] with a valid AE title`);
      continue;
    }
    sources.push({
      aeTitle: m[1].trim(),
      ...(m[2] ? { host: m[2].trim() } : {}),
      ...(m[3] ? { quietPeriodMs: Number(m[3]) } : {}),
    });
  }
  return { sources, any: any || sources.length === 0, problems };
}

/** Strips the IPv4-mapped prefix Node reports for IPv4 peers on a dual-stack socket. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The configured source a calling AE (and peer address) matches, `null` when it is not allowed. */
export function matchSource(
  policy: { sources: readonly DimseSource[]; any: boolean },
  callingAe: string,
  peerAddress: string | undefined,
): DimseSource | undefined | null {
  const ae = callingAe.trim();
  const address = plainAddress(peerAddress);
  const found = policy.sources.find((s) => s.aeTitle === ae && (!s.host || s.host === address));
  if (found) return found;
  return policy.any ? undefined : null;
}
