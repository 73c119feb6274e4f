export * from './qido-priors';
