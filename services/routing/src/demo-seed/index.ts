export * from './demo-seed.loader';
