export * from './logger';
export * from './redaction';
export * from './trace-scope';
