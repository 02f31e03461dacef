export * from './component-config';
