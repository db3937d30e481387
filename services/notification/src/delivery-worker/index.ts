export * from './delivery.worker';
export * from './provider-registry';
export * from './providers';
