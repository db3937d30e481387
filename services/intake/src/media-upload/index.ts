export * from './media-upload.handler';
export * from './media-upload.http.controller';
