export * from './admin-auth.guard';
export * from './reference-admin.handler';
export * from './reference-admin.http.controller';
