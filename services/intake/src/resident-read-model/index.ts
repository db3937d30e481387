export * from './resident-read-model.handler';
export * from './resident-read-model.kafka-consumer';
