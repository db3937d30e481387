export * from './case-machine.types';
export * from './case-machine.errors';
export * from './case-machine';
export * from './sla-calendar';
export * from './sla-clock';
