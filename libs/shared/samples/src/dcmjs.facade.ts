// dcmjs ships no type declarations. A module-wide `declare module 'dcmjs'` would clash with any other
// library's, so this file types only the writer calls the samples use.
export interface DcmjsWriterApi {
  data: {
    DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
  };
}

export const dcmjs = require('dcmjs') as DcmjsWriterApi;
