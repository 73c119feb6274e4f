export * from './lib/model-manifest';
export * from './lib/dicom-decode.exception';
export * from './lib/dicom-image';
export * from './lib/slice-order';
export * from './lib/preprocess';
export * from './lib/findings';
export * from './lib/applicability';
export * from './lib/phantoms';
