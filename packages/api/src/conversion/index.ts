export * from './conversion-error';
export * from './hpa-v1-conversion';
export * from './version-converters';
