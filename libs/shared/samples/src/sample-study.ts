/** A generated study: Part 10 files ready to send over STOW-RS or C-STORE. */
export interface SampleStudy {
  studyInstanceUid: string;
  accessionNumber: string;
  /** One Part 10 file per instance, in InstanceNumber order. */
  files: Buffer[];
  description: string;
}

/** UIDs to reuse instead of fresh `2.25.` ones (same seed + same UIDs = byte-identical files). */
export interface SampleUids {
  study?: string;
  series?: string;
  /** One per instance, in InstanceNumber order. */
  instances?: string[];
  frameOfReference?: string;
}

/** What every phantom generator accepts besides its own geometry switches. */
export interface PhantomOptions {
  /** PRNG seed for the noise (default 1). */
  seed?: number;
  uids?: SampleUids;
  accessionNumber?: string;
  /** DICOM DA (YYYYMMDD); fixed by default so output is deterministic. */
  studyDate?: string;
  patient?: Partial<SamplePatient>;
}

export interface SamplePatient {
  name: string;
  id: string;
  birthDate: string;
  sex: 'M' | 'F' | 'O';
}
