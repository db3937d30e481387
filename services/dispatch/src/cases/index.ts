export * from './case.repository';
export * from './case-workflow.service';
export * from './lifecycle.mapper';
export * from './default-sla-policy';
export * from './case-views';
export * from './mutation-runner';
export * from './case-events.publisher';
