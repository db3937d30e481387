export * from './resident-feedback.handler';
export * from './resident-feedback.kafka-consumer';
