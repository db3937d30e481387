export * from './text-match';
export * from './classifier';
export * from './signals';
export * from './rules';
export * from './coverage';
export * from './ref-data';
export * from './decide';
