export * from './routing-feature.module';
export * from './routing.service';
