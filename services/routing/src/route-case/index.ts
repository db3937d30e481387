export * from './route-case.handler';
export * from './route-case.kafka-consumer';
export * from './route-case.http.controller';
