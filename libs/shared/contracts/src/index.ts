export * from './primitives';
export * from './events';
export * from './envelope';
export * from './trace';
export * from './topology';
export * from './asyncapi';
export * from './asyncapi-render';
