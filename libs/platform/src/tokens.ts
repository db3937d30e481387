/** DI tokens of what the platform module provides to every service. */
export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
export const REDIS = Symbol('REDIS');
export const KAFKA = Symbol('KAFKA');
export const KAFKA_PRODUCER = Symbol('KAFKA_PRODUCER');
export const LOGGER = Symbol('LOGGER');
