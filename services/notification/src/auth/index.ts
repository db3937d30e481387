export * from './admin-token.guard';
