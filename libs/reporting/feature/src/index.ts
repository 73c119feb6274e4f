export * from './reporting-feature.module';
export * from './reporting.service';
