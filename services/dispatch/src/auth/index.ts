export * from './roles';
export * from './staff-auth.service';
export * from './staff-auth.guard';
export * from './auth.module';
export { hashPassword, verifyPassword } from './password';
