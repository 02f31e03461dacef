export * from './agent-proto';
