export * from './bus';
export * from './delivery';
export * from './kafka-bus';
export * from './in-process-bus';
