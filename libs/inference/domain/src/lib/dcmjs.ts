/**
 * The slice of the dcmjs API this library uses, typed here because dcmjs ships no TypeScript types.
 * Loaded with require (and not an ambient `declare module`) so this library's typing cannot clash with
 * another library's declaration of the same untyped package.
 */

export type NaturalDataset = Record<string, unknown> & { _vrMap?: Record<string, string> };

export interface DicomDictLike {
  meta: Record<string, unknown>;
  dict: Record<string, unknown>;
  write(options?: Record<string, unknown>): ArrayBuffer;
}

interface DcmjsLogger {
  setLevel?(level: string): void;
}

export interface DcmjsApi {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDictLike };
    DicomMetaDictionary: {
      naturalizeDataset(dict: Record<string, unknown>): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): Record<string, unknown>;
    };
    DicomDict: new (meta: Record<string, unknown>) => DicomDictLike;
  };
  log?: DcmjsLogger & { getLogger?(name: string): DcmjsLogger };
}

export const dcmjs = require('dcmjs') as DcmjsApi;
// dcmjs writes parser warnings to the console; the mesh reports problems through its own errors and logger.
dcmjs.log?.setLevel?.('silent');
dcmjs.log?.getLogger?.('validation.dcmjs').setLevel?.('silent');
