// dcmjs ships no type declarations. A module-wide `declare module 'dcmjs'` would clash with any other
// library's, so this file types only the reader calls ingest uses.

/** One element in dcmjs's DICOM JSON-like dictionary. */
export interface DcmjsElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
}

export type DcmjsDict = Record<string, DcmjsElement>;

export interface DcmjsReaderApi {
  log: { setLevel(level: string): void };
  data: {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; untilTag?: string | null; noCopy?: boolean }): { meta: DcmjsDict; dict: DcmjsDict };
    };
    DicomMetaDictionary: { naturalizeDataset(dict: DcmjsDict): Record<string, unknown> };
    /** A file meta group plus data set; `write()` gives preamble, DICM, meta and data set. */
    DicomDict: new (meta: Record<string, { vr: string; Value: unknown[] }>) => { write(): ArrayBuffer };
  };
}

export const dcmjs = require('dcmjs') as DcmjsReaderApi;
// dcmjs logs warnings for odd input through loglevel; the mesh reports such input itself, without values.
dcmjs.log.setLevel('silent');
