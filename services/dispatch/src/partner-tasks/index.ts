export * from './partner-tasks.handler';
export * from './partner-tasks.http.controller';
