export * from './mllp-framer';
export * from './mllp-client';
