export * from './report-intake.handler';
export * from './report-intake.http.controller';
export * from './report-intake.dto';
