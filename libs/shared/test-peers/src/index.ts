export * from './fhir-test-server';
export * from './mllp-test-listener';
export * from './reporting-fixtures';
