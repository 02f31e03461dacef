export * from './master';
export * from './config';
export * from './gateway';
