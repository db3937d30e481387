import 'reflect-metadata';
export * from './errors';
export * from './vocabulary';
export * from './topics';
export * from './envelope';
export * from './payloads';
export * from './registry';
export * from './validation-cache';
export * from './validity-check';
