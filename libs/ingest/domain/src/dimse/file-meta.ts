import { dcmjs } from '../dcmjs.facade';

/** The mesh's implementation identity in the file meta of instances it writes (PS3.7 D.3.3.2). */
export const MESH_IMPLEMENTATION = { classUid: '2.25.176294736126937392781043256711592880771', versionName: 'TRIAGE_MESH_1' } as const;

export interface FileMetaInput {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Calling AE title of the sender (0002,0016). */
  sourceAeTitle?: string;
}

/**
 * The preamble, DICM prefix and file meta group (PS3.10 7.1) for a data set received over DIMSE, so the
 * instance store keeps Part 10 files whichever protocol delivered them. Values come from the C-STORE
 * command and the negotiated transfer syntax; they are checked against the data set later, not here.
 */
export function part10Header(input: FileMetaInput): Buffer {
  const meta: Record<string, { vr: string; Value: unknown[] }> = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [input.sopClassUid] },
    '00020003': { vr: 'UI', Value: [input.sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [input.transferSyntaxUid] },
    '00020012': { vr: 'UI', Value: [MESH_IMPLEMENTATION.classUid] },
    '00020013': { vr: 'SH', Value: [MESH_IMPLEMENTATION.versionName] },
  };
  if (input.sourceAeTitle) meta['00020016'] = { vr: 'AE', Value: [input.sourceAeTitle.trim()] };
  // An empty data set written in the meta's transfer syntax: dcmjs emits exactly preamble + meta group.
  return Buffer.from(new dcmjs.data.DicomDict(meta).write());
}
