/** DI tokens of the notification service. */
export const NOTIFICATION_CONFIG = Symbol('NOTIFICATION_CONFIG');
export const NOTIFICATION_PROVIDERS = Symbol('NOTIFICATION_PROVIDERS');
