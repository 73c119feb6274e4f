export * from './rule-set.schema';
export * from './default-rule-set';
export * from './priority-engine';
export * from './sla.schema';
export * from './sla';
export * from './simulate';
