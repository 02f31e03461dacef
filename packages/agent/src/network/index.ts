export * from './service-feed';
export * from './pod-network';
export * from './node-network';
