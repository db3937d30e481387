export * from './auto-close.worker';
