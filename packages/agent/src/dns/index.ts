export * from './cluster-records';
export * from './dns-server';
