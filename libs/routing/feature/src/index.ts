export * from './routing-feature.module';
export * from './routing.service';
export * from './routing.options';
export * from './routing.store';
export * from './worklist.service';
export * from './simulate.input';
export * from './simulate.cli';
