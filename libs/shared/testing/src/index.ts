export * from './wait-for.helper';
export * from './free-port.helper';
export * from './repo-root.helper';
export * from './shared-data.helper';
export * from './kafka.helper';
export * from './postgres.helper';
export * from './orthanc.helper';
