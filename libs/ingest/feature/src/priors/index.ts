export * from './priors.service';
