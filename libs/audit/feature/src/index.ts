export * from './audit-feature.module';
export * from './audit.service';
export * from './audit.message.controller';
export * from './lineage.http.controller';
export * from './lineage.exception';
export * from './audit-chain.service';
export * from './audit-verify.http.controller';
