export * from './case-routing.handler';
export * from './case-routing.kafka-consumer';
