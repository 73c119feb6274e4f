export * from './fhir-test-server';
export * from './reporting-fixtures';
