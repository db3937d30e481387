export * from './unit-directory.kafka-consumer';
