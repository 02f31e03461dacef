export * from './master';
export * from './config';
export * from './gateway';
export * from './config-file';
