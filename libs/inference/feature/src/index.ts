export * from './lib/inference-feature.module';
export * from './lib/inference.service';
export * from './lib/inference.message.controller';
export * from './lib/model-registry.service';
export * from './lib/instance.repository';
export * from './lib/inference.options';
export * from './lib/inference.exception';
export * from './lib/concurrency';
