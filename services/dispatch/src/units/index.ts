export * from './units.repository';
export * from './units.kafka-consumer';
export * from './partner-auth.guard';
