export * from './context';
export * from './pii';
export * from './logger';
export * from './metrics';
