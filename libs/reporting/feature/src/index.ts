export * from './reporting-feature.module';
export * from './reporting.service';
export * from './reporting.engine';
export * from './reporting.options';
export * from './study-state.store';
export * from './delivery/outbox';
export * from './delivery/smart-auth';
