export * from './schemas';
export * from './patch-meta';
export * from './check-fields';
export * from './document';
