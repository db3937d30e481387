export * from './ref-data.cache';
export * from './reference.mapper';
export * from './reference.repository';
export * from './reference.types';
