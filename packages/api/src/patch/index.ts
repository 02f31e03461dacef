/**
 * All patch logic of the API server as pure functions: JSON patch, JSON merge patch,
 * strategic merge patch, server-side apply and managed fields.
 */
export { applyJsonPatch, parseJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
export type { JsonPatchOperation, JsonPatchOp } from './json-patch';
export { applyMergePatch } from './merge-patch';
export {
  applyStrategicMergePatch,
  PATCH_DIRECTIVE,
  RETAIN_KEYS_DIRECTIVE,
  SET_ELEMENT_ORDER_PREFIX,
  DELETE_FROM_PRIMITIVE_LIST_PREFIX,
} from './strategic-merge-patch';
export { serverSideApply, applyConflictError, describePaths } from './server-side-apply';
export type { ServerSideApplyOptions, ServerSideApplyResult, ApplyConflict } from './server-side-apply';
export {
  updateManagedFields,
  decodeManagedFields,
  encodeManagedFields,
  managerIdentity,
  describeManager,
  withManagedFields,
  formatTime,
  MAX_UPDATE_MANAGERS,
  ANCIENT_CHANGES_MANAGER,
  BEFORE_FIRST_APPLY_MANAGER,
} from './managed-fields';
export type {
  ManagedFieldsEntry,
  ManagedFieldsOperation,
  ManagerFields,
  ManagerMap,
  UpdateManagedFieldsOptions,
  ManagedFieldsResult,
} from './managed-fields';
export { fieldsToSet, compareValues, mergeValues, removeFields, listItemElement } from './typed-value';
export type { Comparison } from './typed-value';
export {
  FieldSet,
  fieldElement,
  keyElement,
  valueElement,
  indexElement,
  pathToString,
  pathElementToString,
  comparePathElements,
} from './field-set';
export type { FieldsV1, FieldPath } from './field-set';
export { applyListKind, patchStrategies, hasPatchStrategy, LIST_MAP_KEY_DEFAULTS } from './meta-rules';
export type { ApplyListKind } from './meta-rules';
export { parsePointer, formatPointer, escapeToken } from './json-pointer';
