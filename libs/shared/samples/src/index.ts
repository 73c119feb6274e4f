export * from './sample-study';
export * from './uid';
export * from './prng';
export { writePart10, EXPLICIT_VR_LITTLE_ENDIAN, type NaturalDataset } from './part10.writer';
export * from './head-ct.phantom';
export * from './chest-xray.phantom';
