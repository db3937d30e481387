export * from './center-cases.handler';
export * from './center-cases.http.controller';
