export * from './object-cache';
export * from './work-queue';
export * from './informer';
export * from './informer-factory';
export * from './api-client';
export * from './event-recorder';
export * from './expectations';
export * from './run-workers';
