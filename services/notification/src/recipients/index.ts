export * from './recipients.repository';
export * from './recipients.dto';
export * from './recipients.http.controller';
export * from './role-seed';
