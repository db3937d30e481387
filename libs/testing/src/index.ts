export * from './wait';
export * from './namespace';
export * from './topic-reader';
export * from './process';
export * from './fixtures';
