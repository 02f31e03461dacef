/**
 * The OpenAPI v3 documents served at /openapi/v3 and /openapi/v3/<api|apis/group>/<version>,
 * built from RESOURCES and the generated component schemas.
 *
 * kubectl relies on them for: server-side field validation (a `patch` operation carrying the
 * kind's `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter), client-side
 * apply (strategic merge patch computed from the schemas when the patch operation lists
 * `application/strategic-merge-patch+json`) and `explain`.
 */
import { createHash } from 'crypto';
import { type ResourceInfo, type SubresourceInfo, RESOURCES, SERVED_BY_CONVERSION, groupVersions } from '../resources';
import { META_V1, REF_PREFIX, type Schema, type GroupVersionKind, loadSchemas, refName, schemaNameFor } from './schemas';

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  description?: string;
  required?: boolean;
  schema: Schema;
  uniqueItems?: boolean;
}

export interface OpenApiMediaTypes {
  [mediaType: string]: { schema: Schema };
}

export interface OpenApiOperation {
  tags?: string[];
  description: string;
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content: OpenApiMediaTypes; required: boolean };
  responses: Record<string, { description: string; content?: OpenApiMediaTypes }>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

export interface OpenApiPathItem {
  description?: string;
  parameters?: OpenApiParameter[];
  get?: OpenApiOperation;
  put?: OpenApiOperation;
  post?: OpenApiOperation;
  delete?: OpenApiOperation;
  patch?: OpenApiOperation;
}

export interface OpenApiDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, OpenApiPathItem>;
  components: {
    schemas: Record<string, Schema>;
    securitySchemes: Record<string, unknown>;
  };
  security: Record<string, string[]>[];
}

export interface OpenApiV3Root {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** Kubernetes version the documents claim in `info.version`. */
export const OPENAPI_INFO_VERSION = 'v1.32.0';

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

// ---------------------------------------------------------------------------------------------
// Parameters (inlined in every operation: kubectl looks for `fieldValidation` by name there)
// ---------------------------------------------------------------------------------------------

const str = (): Schema => ({ type: 'string', uniqueItems: true });
const q = (name: string, description: string, schema: Schema = str()): OpenApiParameter => ({ name, in: 'query', description, schema });

const P = {
  pretty: q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  fieldManagerApply: q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).'),
  fieldValidation: q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', { type: 'boolean', uniqueItems: true }),
  gracePeriodSeconds: q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.', { type: 'integer', uniqueItems: true }),
  orphanDependents: q('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.', { type: 'boolean', uniqueItems: true }),
  propagationPolicy: q('propagationPolicy', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  allowWatchBookmarks: q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.', { type: 'boolean', uniqueItems: true }),
  continue: q('continue', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).'),
  fieldSelector: q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.', { type: 'integer', uniqueItems: true }),
  resourceVersion: q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'),
  resourceVersionMatch: q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'),
  sendInitialEvents: q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.', { type: 'boolean', uniqueItems: true }),
  timeoutSeconds: q('timeoutSeconds', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.', { type: 'integer', uniqueItems: true }),
  watch: q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.', { type: 'boolean', uniqueItems: true }),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManagerApply, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

function pathParam(name: string, description: string): OpenApiParameter {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}
const NAMESPACE_PARAM = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

const ref = (name: string): Schema => ({ $ref: `${REF_PREFIX}${name}` });

function objectContent(schemaName: string, protobuf = true): OpenApiMediaTypes {
  const out: OpenApiMediaTypes = {
    'application/json': { schema: ref(schemaName) },
    'application/yaml': { schema: ref(schemaName) },
  };
  if (protobuf) out['application/vnd.kubernetes.protobuf'] = { schema: ref(schemaName) };
  return out;
}

function listContent(schemaName: string): OpenApiMediaTypes {
  return {
    ...objectContent(schemaName),
    'application/json;stream=watch': { schema: ref(schemaName) },
    'application/vnd.kubernetes.protobuf;stream=watch': { schema: ref(schemaName) },
  };
}

const textContent = (): OpenApiMediaTypes => ({ '*/*': { schema: { type: 'string' } } });

function ok(content?: OpenApiMediaTypes): { description: string; content?: OpenApiMediaTypes } {
  return content ? { description: 'OK', content } : { description: 'OK' };
}

function responses(entries: [string, string, OpenApiMediaTypes | undefined][]): OpenApiOperation['responses'] {
  const out: OpenApiOperation['responses'] = {};
  for (const [code, description, content] of entries) out[code] = content ? { description, content } : { description };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function pascal(s: string): string {
  return s.replace(/(^|[^a-zA-Z0-9])([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
}

/** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `CoordinationV1`. */
function groupVersionId(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return pascal(g) + pascal(version);
}

function gvk(group: string, version: string, kind: string): GroupVersionKind {
  return { group, version, kind };
}

interface OpCtx {
  gvId: string;
  ns: string; // "Namespaced" or ""
  kind: string;
  tag: string;
}

function op(
  c: OpCtx, verb: string, idSuffix: string, action: string, kindGvk: GroupVersionKind, description: string,
  parts: Partial<Pick<OpenApiOperation, 'parameters' | 'requestBody' | 'responses'>>,
): OpenApiOperation {
  const o: OpenApiOperation = {
    tags: [c.tag],
    description,
    operationId: `${verb}${c.gvId}${c.ns}${idSuffix}`,
    responses: parts.responses ?? responses([['200', 'OK', undefined]]),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kindGvk,
  };
  if (parts.parameters) o.parameters = parts.parameters;
  if (parts.requestBody) o.requestBody = parts.requestBody;
  return o;
}

function patchOp(c: OpCtx, idSuffix: string, what: string, kindGvk: GroupVersionKind, schemaName: string): OpenApiOperation {
  const content: OpenApiMediaTypes = {};
  for (const t of PATCH_TYPES) content[t] = { schema: ref(`${META_V1}.Patch`) };
  return op(c, 'patch', idSuffix, 'patch', kindGvk, `partially update ${what}`, {
    parameters: [...PATCH_PARAMS],
    requestBody: { content, required: true },
    responses: responses([['200', 'OK', objectContent(schemaName)], ['201', 'Created', objectContent(schemaName)]]),
  });
}

function putOp(c: OpCtx, idSuffix: string, what: string, kindGvk: GroupVersionKind, schemaName: string): OpenApiOperation {
  return op(c, 'replace', idSuffix, 'put', kindGvk, `replace ${what}`, {
    parameters: [...WRITE_PARAMS],
    requestBody: { content: objectContent(schemaName), required: true },
    responses: responses([['200', 'OK', objectContent(schemaName)], ['201', 'Created', objectContent(schemaName)]]),
  });
}

function getOp(c: OpCtx, idSuffix: string, what: string, kindGvk: GroupVersionKind, schemaName: string): OpenApiOperation {
  return op(c, 'read', idSuffix, 'get', kindGvk, `read ${what}`, { responses: responses([['200', 'OK', objectContent(schemaName)]]) });
}

function createOp(c: OpCtx, idSuffix: string, what: string, kindGvk: GroupVersionKind, schemaName: string): OpenApiOperation {
  return op(c, 'create', idSuffix, 'post', kindGvk, `create ${what}`, {
    parameters: [...WRITE_PARAMS],
    requestBody: { content: objectContent(schemaName), required: true },
    responses: responses([
      ['200', 'OK', objectContent(schemaName)], ['201', 'Created', objectContent(schemaName)], ['202', 'Accepted', objectContent(schemaName)],
    ]),
  });
}

function resourcePaths(r: ResourceInfo, paths: Record<string, OpenApiPathItem>): void {
  const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
  const schemaName = schemaNameFor(apiVersion, r.kind);
  if (schemaName === undefined) return;
  const listName = schemaNameFor(apiVersion, `${r.kind}List`) ?? schemaName;
  const kindGvk = gvk(r.group, r.version, r.kind);
  const verbs = new Set(r.verbs);
  const c: OpCtx = { gvId: groupVersionId(r.group, r.version), ns: r.namespaced ? 'Namespaced' : '', kind: r.kind, tag: groupVersionId(r.group, r.version).replace(/^[A-Z]/, (x) => x.toLowerCase()) };
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const scopeParams = r.namespaced ? [NAMESPACE_PARAM] : [];
  const nameParam = pathParam('name', `name of the ${r.kind}`);

  // Collection.
  const coll: OpenApiPathItem = { parameters: [...scopeParams, P.pretty] };
  if (verbs.has('list')) {
    coll.get = op(c, 'list', r.kind, 'list', kindGvk, `list or watch objects of kind ${r.kind}`, {
      parameters: [...LIST_PARAMS], responses: responses([['200', 'OK', listContent(listName)]]),
    });
  }
  if (verbs.has('create')) coll.post = createOp(c, r.kind, `a ${r.kind}`, kindGvk, schemaName);
  if (verbs.has('deletecollection')) {
    coll.delete = op({ ...c, ns: '' }, 'delete', `Collection${c.ns}${r.kind}`, 'deletecollection', kindGvk, `delete collection of ${r.kind}`, {
      parameters: [...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks' && p.name !== 'sendInitialEvents'), ...DELETE_PARAMS],
      requestBody: { content: objectContent(`${META_V1}.DeleteOptions`, false), required: false },
      responses: responses([['200', 'OK', objectContent(`${META_V1}.Status`)]]),
    });
  }
  if (coll.get || coll.post || coll.delete) paths[collection] = coll;

  // All namespaces.
  if (r.namespaced && verbs.has('list')) {
    paths[`${prefix}/${r.plural}`] = {
      parameters: [P.pretty],
      get: op({ ...c, ns: '' }, 'list', `${r.kind}ForAllNamespaces`, 'list', kindGvk, `list or watch objects of kind ${r.kind}`, {
        parameters: [...LIST_PARAMS], responses: responses([['200', 'OK', listContent(listName)]]),
      }),
    };
  }

  // One object.
  const item: OpenApiPathItem = { parameters: [nameParam, ...scopeParams, P.pretty] };
  const what = `the specified ${r.kind}`;
  if (verbs.has('get')) item.get = getOp(c, r.kind, what, kindGvk, schemaName);
  if (verbs.has('update')) item.put = putOp(c, r.kind, what, kindGvk, schemaName);
  if (verbs.has('patch')) item.patch = patchOp(c, r.kind, what, kindGvk, schemaName);
  if (verbs.has('delete')) {
    item.delete = op(c, 'delete', r.kind, 'delete', kindGvk, `delete a ${r.kind}`, {
      parameters: [...DELETE_PARAMS],
      requestBody: { content: objectContent(`${META_V1}.DeleteOptions`, false), required: false },
      responses: responses([
        ['200', 'OK', objectContent(schemaName)], ['202', 'Accepted', objectContent(schemaName)],
      ]),
    });
  }
  if (item.get || item.put || item.patch || item.delete) paths[`${collection}/{name}`] = item;

  for (const sub of r.subresources) subresourcePath(r, sub, c, `${collection}/{name}/${sub.name}`, scopeParams, paths);
}

function subresourcePath(
  r: ResourceInfo, sub: SubresourceInfo, c: OpCtx, p: string, scopeParams: OpenApiParameter[], paths: Record<string, OpenApiPathItem>,
): void {
  const subGvk = gvk(sub.group, sub.version, sub.kind);
  const subApiVersion = sub.group ? `${sub.group}/${sub.version}` : sub.version;
  const schemaName = schemaNameFor(subApiVersion, sub.kind);
  const verbs = new Set(sub.verbs);
  const suffix = r.kind + pascal(sub.name);
  const item: OpenApiPathItem = { parameters: [pathParam('name', `name of the ${sub.kind}`), ...scopeParams] };
  const what = `${sub.name} of the specified ${r.kind}`;
  const connect = ['exec', 'attach', 'portforward', 'proxy'].includes(sub.name);

  if (connect) {
    const mk = (verb: string): OpenApiOperation => op(c, `connect${pascal(verb)}`, suffix, 'connect', subGvk, `connect ${verb.toUpperCase()} requests to ${sub.name} of ${r.kind}`, {
      responses: responses([['200', 'OK', textContent()]]),
    });
    if (verbs.has('get')) item.get = mk('get');
    if (verbs.has('create')) item.post = mk('post');
  } else if (sub.name === 'log') {
    if (verbs.has('get')) {
      item.get = op(c, 'read', suffix, 'get', subGvk, `read log of the specified ${r.kind}`, { responses: responses([['200', 'OK', textContent()]]) });
    }
  } else if (schemaName !== undefined) {
    item.parameters = [...(item.parameters ?? []), P.pretty];
    if (verbs.has('get')) item.get = getOp(c, suffix, what, subGvk, schemaName);
    if (verbs.has('update')) item.put = putOp(c, suffix, what, subGvk, schemaName);
    if (verbs.has('patch')) item.patch = patchOp(c, suffix, what, subGvk, schemaName);
    if (verbs.has('create')) item.post = createOp(c, suffix, `${sub.name} of a ${r.kind}`, subGvk, schemaName);
  }
  if (item.get || item.put || item.patch || item.post) paths[p] = item;
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/** Names of every component reachable from `roots`, following $ref transitively. */
function reachable(roots: Iterable<string>): string[] {
  const schemas = loadSchemas();
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const name = todo.pop() as string;
    if (seen.has(name) || !Object.prototype.hasOwnProperty.call(schemas, name)) continue;
    seen.add(name);
    collectRefs(schemas[name], todo);
  }
  return [...seen].sort();
}

function collectRefs(v: unknown, out: string[]): void {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (Array.isArray(cur)) { for (const x of cur) stack.push(x); continue; }
    if (typeof cur !== 'object' || cur === null) continue;
    for (const [k, x] of Object.entries(cur)) {
      if (k === '$ref' && typeof x === 'string') out.push(refName(x));
      else if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
}

interface Built {
  doc: OpenApiDocument;
  json: string;
  hash: string;
}

const built = new Map<string, Built | null>();

function gvKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function build(group: string, version: string): Built | null {
  const key = gvKey(group, version);
  const cached = built.get(key);
  if (cached !== undefined) return cached;
  const resources = [...RESOURCES, ...SERVED_BY_CONVERSION].filter((r) => r.group === group && r.version === version);
  if (resources.length === 0) { built.set(key, null); return null; }

  const paths: Record<string, OpenApiPathItem> = {};
  for (const r of resources) resourcePaths(r, paths);
  const sortedPaths: Record<string, OpenApiPathItem> = {};
  for (const p of Object.keys(paths).sort()) sortedPaths[p] = paths[p] as OpenApiPathItem;

  const roots: string[] = [];
  collectRefs(sortedPaths, roots);
  const schemas = loadSchemas();
  const components: Record<string, Schema> = {};
  for (const name of reachable(roots)) components[name] = schemas[name] as Schema;

  const doc: OpenApiDocument = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: OPENAPI_INFO_VERSION },
    paths: sortedPaths,
    components: {
      schemas: components,
      securitySchemes: {
        BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' },
      },
    },
    security: [{ BearerToken: [] }],
  };
  const json = JSON.stringify(doc);
  const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  const b: Built = { doc, json, hash };
  built.set(key, b);
  return b;
}

/**
 * The OpenAPI v3 document of one served group-version (`''`/`v1`, `apps`/`v1`), or undefined.
 * Built once and cached: never mutate the result.
 */
export function openApiV3Document(group: string, version: string): OpenApiDocument | undefined {
  return build(group, version)?.doc;
}

/** The document serialized as JSON and its content hash (upper-case hex SHA-512), for ETag and `?hash=`. */
export function openApiV3DocumentJson(group: string, version: string): { json: string; hash: string } | undefined {
  const b = build(group, version);
  return b ? { json: b.json, hash: b.hash } : undefined;
}

/** Parses a path under /openapi/v3/ (`api/v1`, `apis/apps/v1`, with or without a leading slash). */
export function parseOpenApiV3Path(p: string): { group: string; version: string } | undefined {
  const parts = p.replace(/^\/+|\/+$/g, '').split('/');
  if (parts.length === 2 && parts[0] === 'api' && parts[1]) return { group: '', version: parts[1] };
  if (parts.length === 3 && parts[0] === 'apis' && parts[1] && parts[2]) return { group: parts[1], version: parts[2] };
  return undefined;
}

/** The /openapi/v3 root: one entry per served group-version, each URL carrying its document's hash. */
export function openApiV3Root(): OpenApiV3Root {
  const paths: OpenApiV3Root['paths'] = {};
  for (const { group, version } of groupVersions()) {
    const b = build(group, version);
    if (!b) continue;
    const key = gvKey(group, version);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${b.hash}` };
  }
  return { paths };
}
