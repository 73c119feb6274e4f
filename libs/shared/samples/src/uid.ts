import { createHash, randomUUID } from 'node:crypto';

/** A fresh UID under the UUID-derived root `2.25.` (PS3.5 B.2): the UUID's 128 bits as one decimal number. */
export function newUuidUid(uuid: string = randomUUID()): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString(10)}`;
}

/** A stable 10-digit accession number derived from a study UID (same UID, same accession). */
export function accessionFor(studyInstanceUid: string): string {
  const digest = createHash('sha256').update(studyInstanceUid).digest();
  return `A${(digest.readUInt32BE(0) % 1_000_000_000).toString().padStart(9, '0')}`;
}
