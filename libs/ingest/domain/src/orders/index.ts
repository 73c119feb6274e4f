export * from './hl7-message';
export * from './hl7-order.mapper';
export * from './order-context';
export * from './service-request.mapper';
