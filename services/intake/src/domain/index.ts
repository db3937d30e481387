export * from './reference';
export * from './tracking-token';
export * from './duplicate';
export * from './resident-view';
export * from './open311';
export * from './media-type';
