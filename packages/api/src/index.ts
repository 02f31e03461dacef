export * from './resources';
export * from './object';
export * from './errors';
export * from './openapi';
export * from './patch';
export * from './quantity';
export * from './selectors';
export * from './defaults';
