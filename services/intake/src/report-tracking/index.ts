export * from './report-tracking.handler';
export * from './report-tracking.http.controller';
export * from './report-tracking.dto';
