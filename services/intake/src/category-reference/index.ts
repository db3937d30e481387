export * from './category-reference.kafka-consumer';
