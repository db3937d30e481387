export * from './notification-provider';
export * from './webhook.provider';
export * from './http-message.provider';
export * from './email.provider';
export * from './dev.provider';
