export * from './types';
export * from './templates';
export * from './quiet-hours';
export * from './backoff';
export * from './signature';
export * from './plan';
