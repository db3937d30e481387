export * from './open311.handler';
export * from './open311.http.controller';
export * from './open311-clients.service';
export * from './open311.api-key.guard';
