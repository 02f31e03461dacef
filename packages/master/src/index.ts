export * from './master';
export * from './config';
