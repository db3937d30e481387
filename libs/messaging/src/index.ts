export * from './kafka-settings';
export * from './retriable';
export * from './schema';
export * from './outbox';
export * from './relay-thread';
export * from './consumer';
export * from './admin';
export * from './kafkajs-idle-fix';
