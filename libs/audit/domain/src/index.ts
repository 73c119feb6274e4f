export * from './demographics';
export * from './quality';
export * from './drift';
export * from './label-manifest';
export * from './retention';
export { constructedQualityCases } from './quality.fixture';
