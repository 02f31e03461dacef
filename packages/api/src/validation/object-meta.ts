/**
 * ObjectMeta, labels, annotations and LabelSelector objects, as
 * apimachinery's ValidateObjectMeta / ValidateLabels / ValidateLabelSelector check them.
 */
import { labelSelectorAsMatcher } from '../selectors/label-selector';
import {
  childPath, forbidden, IMMUTABLE, indexPath, invalid, invalidRaw, nonNegative, required, tooLong, type FieldError,
} from './field-errors';
import { goLabelSelector } from './go-format';
import { isQualifiedName, isValidLabelValue, type NameRule } from './name-rules';
import { peek, type Reader } from './typed-read';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** ValidateLabelName: a qualified name. */
export function validateLabelName(r: Reader, key: string, path: string): void {
  for (const m of isQualifiedName(key)) r.add(invalid(path, key, m));
}

/** ValidateLabels: keys are qualified names, values label values; errors point at the map. */
export function validateLabels(r: Reader, labels: unknown, path: string): Record<string, string> | undefined {
  const map = r.strMap(labels, path);
  if (!map) return undefined;
  for (const [k, v] of Object.entries(map)) {
    validateLabelName(r, k, path);
    for (const m of isValidLabelValue(v)) r.add(invalid(path, v, m));
  }
  return map;
}

export function validateAnnotations(r: Reader, annotations: unknown, path: string): void {
  const map = r.strMap(annotations, path);
  if (!map) return;
  let size = 0;
  for (const [k, v] of Object.entries(map)) {
    for (const m of isQualifiedName(k.toLowerCase())) r.add(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) r.add(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
}

function validateOwnerReferences(r: Reader, refs: unknown, path: string): void {
  let controller: string | undefined;
  for (const { item, path: p } of r.objList(refs, path)) {
    const apiVersion = r.str(item.apiVersion, childPath(p, 'apiVersion')) ?? '';
    const kind = r.str(item.kind, childPath(p, 'kind')) ?? '';
    const name = r.str(item.name, childPath(p, 'name')) ?? '';
    const uid = r.str(item.uid, childPath(p, 'uid')) ?? '';
    const isController = r.bool(item.controller, childPath(p, 'controller'));
    r.bool(item.blockOwnerDeletion, childPath(p, 'blockOwnerDeletion'));
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (version.length === 0) r.add(invalid(childPath(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (kind.length === 0) r.add(invalid(childPath(path, 'kind'), kind, 'must not be empty'));
    if (name.length === 0) r.add(invalid(childPath(path, 'name'), name, 'must not be empty'));
    if (uid.length === 0) r.add(invalid(childPath(path, 'uid'), uid, 'must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') r.add(invalid(path, `${apiVersion}/${kind}`, '/v1, Kind=Event is disallowed from being an owner'));
    if (isController) {
      if (controller !== undefined) {
        r.add(invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${name}`));
      } else {
        controller = name;
      }
    }
  }
}

function validateFinalizers(r: Reader, finalizers: unknown, path: string): void {
  const list = r.strList(finalizers, path);
  if (!list) return;
  list.forEach((f, i) => {
    for (const m of isQualifiedName(f)) r.add(invalid(path, f, m));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      r.add(invalid(indexPath(path, i), f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
}

/**
 * ValidateObjectMeta. `nameRule` is the kind's name rule (null: names are not checked).
 * A missing name is fine when generateName is set: the server generates it.
 * Namespace rules are the server's (request path vs scope) and are not checked here.
 */
export function validateObjectMeta(r: Reader, metaValue: unknown, path: string, nameRule: NameRule | null): void {
  const meta = r.obj(metaValue, path) ?? {};
  const generateName = r.str(meta.generateName, childPath(path, 'generateName')) ?? '';
  const name = r.str(meta.name, childPath(path, 'name')) ?? '';
  r.str(meta.namespace, childPath(path, 'namespace'));
  if (generateName && nameRule) {
    for (const m of nameRule(generateName, true)) r.add(invalid(childPath(path, 'generateName'), generateName, m));
  }
  if (name.length === 0) {
    if (!generateName) r.add(required(childPath(path, 'name'), 'name or generateName is required'));
  } else if (nameRule) {
    for (const m of nameRule(name, false)) r.add(invalid(childPath(path, 'name'), name, m));
  }
  r.add(...nonNegative(childPath(path, 'generation'), r.int(meta.generation, childPath(path, 'generation'))));
  validateLabels(r, meta.labels, childPath(path, 'labels'));
  validateAnnotations(r, meta.annotations, childPath(path, 'annotations'));
  validateOwnerReferences(r, meta.ownerReferences, childPath(path, 'ownerReferences'));
  validateFinalizers(r, meta.finalizers, childPath(path, 'finalizers'));
}

/** ValidateObjectMetaUpdate: identity fields may not change. */
export function validateObjectMetaUpdate(r: Reader, metaValue: unknown, oldValue: unknown, path: string): void {
  const meta = peek.obj(metaValue) ?? {};
  const old = peek.obj(oldValue) ?? {};
  for (const k of ['name', 'namespace']) {
    const now = peek.str(meta[k]) ?? '';
    const before = peek.str(old[k]) ?? '';
    if (now !== before) r.add(invalid(childPath(path, k), now, IMMUTABLE));
  }
  const uid = peek.str(meta.uid) ?? '';
  const oldUid = peek.str(old.uid) ?? '';
  if (uid && oldUid && uid !== oldUid) r.add(invalid(childPath(path, 'uid'), uid, IMMUTABLE));
  const gen = peek.int(meta.generation);
  const oldGen = peek.int(old.generation);
  if (gen !== undefined && oldGen !== undefined && gen < oldGen) r.add(invalid(childPath(path, 'generation'), gen, 'must not be decremented'));
  if (old.deletionTimestamp) {
    const before = new Set((peek.arr(old.finalizers) ?? []).filter((x): x is string => typeof x === 'string'));
    const added = (peek.arr(meta.finalizers) ?? []).filter((x): x is string => typeof x === 'string' && !before.has(x));
    if (added.length > 0) r.add(forbidden(childPath(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  }
}

export interface LabelSelectorCheck {
  /** The selector is absent. */
  absent: boolean;
  /** The selector has neither matchLabels nor matchExpressions. */
  empty: boolean;
  /** The selector could be turned into a matcher (LabelSelectorAsSelector succeeded). */
  matcher?: ReturnType<typeof labelSelectorAsMatcher>;
}

/** ValidateLabelSelector (with label values checked), then the conversion Kubernetes does next. */
export function validateLabelSelector(r: Reader, selValue: unknown, path: string): LabelSelectorCheck {
  const sel = r.obj(selValue, path);
  if (!sel) return { absent: selValue === undefined || selValue === null, empty: true };
  const matchLabels = validateLabels(r, sel.matchLabels, childPath(path, 'matchLabels'));
  const exprs = r.objList(sel.matchExpressions, childPath(path, 'matchExpressions'));
  for (const { item, path: p } of exprs) {
    const op = r.str(item.operator, childPath(p, 'operator')) ?? '';
    const values = r.strList(item.values, childPath(p, 'values')) ?? [];
    const key = r.str(item.key, childPath(p, 'key')) ?? '';
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) r.add(required(childPath(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) r.add(forbidden(childPath(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      r.add(invalid(childPath(p, 'operator'), op, 'not a valid selector operator'));
    }
    validateLabelName(r, key, childPath(p, 'key'));
    values.forEach((v, i) => {
      for (const m of isValidLabelValue(v)) r.add(invalid(indexPath(childPath(p, 'values'), i), v, m));
    });
  }
  const empty = Object.keys(matchLabels ?? {}).length + exprs.length === 0;
  try {
    return { absent: false, empty, matcher: labelSelectorAsMatcher(sel) };
  } catch {
    return { absent: false, empty };
  }
}

/** `Invalid value: v1.LabelSelector{...}: <detail>` for a selector-wide error. */
export function selectorError(path: string, sel: unknown, detail: string): FieldError {
  return invalidRaw(path, goLabelSelector(sel), detail);
}
