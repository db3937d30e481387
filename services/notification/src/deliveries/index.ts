export * from './deliveries.repository';
export * from './deliveries.handler';
export * from './deliveries.dto';
export * from './deliveries.http.controller';
