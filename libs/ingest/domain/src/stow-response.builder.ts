/** PS3.18 / PS3.4 failure reasons a STOW-RS response gives per instance (FailureReason 0008,1197). */
export enum StowFailureReason {
  /** Refused: out of resources. */
  OutOfResources = 0xa700,
  /** Data set does not match SOP class, or an identity conflict (same SOP Instance UID, other bytes). */
  DataSetMismatch = 0xa900,
  /** Cannot understand (not DICOM, truncated, invalid UIDs). */
  CannotUnderstand = 0xc000,
  /** Processing failure. */
  ProcessingFailure = 0x0110,
}

export interface StowStoredInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  retrieveUrl: string;
}

export interface StowFailedInstance {
  /** Unknown when the part could not be parsed at all. */
  sopClassUid?: string;
  sopInstanceUid?: string;
  reason: StowFailureReason;
}

/** A DICOM JSON data set (PS3.18 F.2): tag → { vr, Value }. */
export type DicomJsonDataset = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }>;

function referenced(sopClassUid: string | undefined, sopInstanceUid: string | undefined): DicomJsonDataset {
  const item: DicomJsonDataset = {};
  item['00081150'] = sopClassUid ? { vr: 'UI', Value: [sopClassUid] } : { vr: 'UI' };
  item['00081155'] = sopInstanceUid ? { vr: 'UI', Value: [sopInstanceUid] } : { vr: 'UI' };
  return item;
}

/**
 * Builds the STOW-RS response data set (PS3.18 10.5.3): RetrieveURL of the study, ReferencedSOPSequence
 * for stored instances and FailedSOPSequence with a FailureReason for each failed one.
 */
export function buildStowResponse(opts: {
  studyRetrieveUrl?: string;
  stored: StowStoredInstance[];
  failed: StowFailedInstance[];
}): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  out['00081190'] = opts.studyRetrieveUrl ? { vr: 'UR', Value: [opts.studyRetrieveUrl] } : { vr: 'UR' };
  if (opts.failed.length > 0) {
    out['00081198'] = {
      vr: 'SQ',
      Value: opts.failed.map((f) => ({ ...referenced(f.sopClassUid, f.sopInstanceUid), '00081197': { vr: 'US', Value: [f.reason] } })),
    };
  }
  if (opts.stored.length > 0) {
    out['00081199'] = {
      vr: 'SQ',
      Value: opts.stored.map((s) => ({ ...referenced(s.sopClassUid, s.sopInstanceUid), '00081190': { vr: 'UR', Value: [s.retrieveUrl] } })),
    };
  }
  return out;
}

/** HTTP status of a STOW-RS answer: 200 when everything was stored, 409 when anything failed. */
export function stowHttpStatus(stored: number, failed: number): 200 | 409 {
  return failed === 0 && stored > 0 ? 200 : 409;
}
