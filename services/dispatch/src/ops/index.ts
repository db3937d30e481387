export * from './ops-model';
export * from './ops.config';
export * from './ops.projection';
export * from './ops.queries';
export * from './ops.stream';
export * from './ops.module';
export * from './ops-seed';
