export * from './resources';
export * from './object';
export * from './errors';
export * from './openapi';
