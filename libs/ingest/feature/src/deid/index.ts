export * from './deid.service';
export { DeidHttpController } from './deid.http.controller';
