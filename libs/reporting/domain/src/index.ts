export * from './fhir-validation';
export * from './diagnostic-report.builder';
