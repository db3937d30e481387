export * from './case-events.handler';
export * from './case-events.kafka-consumer';
