export * from './resources';
export * from './snapshot';
export * from './node-affinity';
export * from './filters';
export * from './scores';
export * from './schedule';
export * from './cycle-state';
