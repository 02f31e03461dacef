#!/usr/bin/env node
'use strict';
/**
 * Generates packages/api/generated/schemas.json: OpenAPI v3 component schemas for the
 * Kubernetes types, named as Kubernetes names them (io.k8s.api.core.v1.Pod, ...).
 *
 * Source: the `kubernetes-types` package's .d.ts files, parsed with the TypeScript compiler
 * API (property names, types, optional/required, JSDoc descriptions). What the .d.ts files
 * do not carry (Go struct tags patchStrategy/patchMergeKey, +listType/+listMapKey/+mapType
 * markers, int32 vs int64, the GVKs of meta types) comes from the hand-maintained tables
 * below.
 *
 * Run: node packages/api/scripts/gen-schemas.js   (idempotent; rewrites only on change)
 */
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------------------------------------
// Hand-maintained tables
// ---------------------------------------------------------------------------------------------

/** kubernetes-types folder -> API group. */
const GROUP_OF_FOLDER = {
  core: '',
  meta: '',
  admissionregistration: 'admissionregistration.k8s.io',
  apiextensions: 'apiextensions.k8s.io',
  apiserverinternal: 'internal.apiserver.k8s.io',
  apps: 'apps',
  authentication: 'authentication.k8s.io',
  authorization: 'authorization.k8s.io',
  autoscaling: 'autoscaling',
  batch: 'batch',
  certificates: 'certificates.k8s.io',
  coordination: 'coordination.k8s.io',
  discovery: 'discovery.k8s.io',
  events: 'events.k8s.io',
  flowcontrol: 'flowcontrol.apiserver.k8s.io',
  networking: 'networking.k8s.io',
  node: 'node.k8s.io',
  policy: 'policy',
  rbac: 'rbac.authorization.k8s.io',
  resource: 'resource.k8s.io',
  scheduling: 'scheduling.k8s.io',
  storage: 'storage.k8s.io',
  storagemigration: 'storagemigration.k8s.io',
};

/** Schema-name prefix of a kubernetes-types module (path relative to the package, no .d.ts). */
function prefixOfModule(mod) {
  if (mod === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (mod === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (mod === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (mod === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (mod === 'util/intstr') return 'io.k8s.apimachinery.pkg.util.intstr';
  const [folder, version] = mod.split('/');
  if (folder === 'apiextensions') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
  return `io.k8s.api.${folder}.${version}`;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const INTSTR = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

/**
 * int64 fields (everything else of TS type `number` is int32; none of the served types has
 * a float field). Keys are `Interface.field` (the interface's short name) or `*.field`.
 */
const INT64 = new Set([
  '*.generation', '*.observedGeneration', '*.deletionGracePeriodSeconds', '*.gracePeriodSeconds',
  '*.activeDeadlineSeconds', '*.terminationGracePeriodSeconds', '*.runAsUser', '*.runAsGroup',
  '*.fsGroup', '*.supplementalGroups', '*.remainingItemCount', '*.startingDeadlineSeconds',
  '*.expirationSeconds', '*.tolerationSeconds', '*.sizeBytes', '*.limitBytes', '*.sinceSeconds',
  '*.tailLines', 'ControllerRevision.revision', 'SleepAction.seconds',
]);
/** Float fields, where a `number` really is a double. */
const DOUBLE = new Set(['JSONSchemaProps.maximum', 'JSONSchemaProps.minimum', 'JSONSchemaProps.multipleOf']);

/**
 * Patch metadata from Kubernetes' Go struct tags and markers, keyed `schemaName.property`.
 * s = x-kubernetes-patch-strategy, k = x-kubernetes-patch-merge-key,
 * lt = x-kubernetes-list-type, lk = x-kubernetes-list-map-keys, mt = x-kubernetes-map-type.
 */
const C = 'io.k8s.api.core.v1.';
const A = 'io.k8s.api.apps.v1.';
const B = 'io.k8s.api.batch.v1.';
const M = `${META}.`;
const mergeByName = { s: 'merge', k: 'name', lt: 'map', lk: ['name'] };
const conditions = { s: 'merge', k: 'type', lt: 'map', lk: ['type'] };
const atomic = { lt: 'atomic' };
const set = { lt: 'set' };
const PATCH_META = {
  // meta/v1
  [`${M}ObjectMeta.finalizers`]: { s: 'merge', lt: 'set' },
  [`${M}ObjectMeta.ownerReferences`]: { s: 'merge', k: 'uid', lt: 'map', lk: ['uid'] },
  [`${M}ObjectMeta.managedFields`]: atomic,
  [`${M}LabelSelector.matchExpressions`]: atomic,
  [`${M}LabelSelectorRequirement.values`]: atomic,
  [`${M}StatusDetails.causes`]: atomic,
  [`${M}DeleteOptions.dryRun`]: atomic,
  [`${M}APIResource.verbs`]: atomic,
  [`${M}APIResource.shortNames`]: atomic,
  [`${M}APIResource.categories`]: atomic,

  // core/v1 PodSpec
  [`${C}PodSpec.volumes`]: { s: 'merge,retainKeys', k: 'name', lt: 'map', lk: ['name'] },
  [`${C}PodSpec.initContainers`]: mergeByName,
  [`${C}PodSpec.containers`]: mergeByName,
  [`${C}PodSpec.ephemeralContainers`]: mergeByName,
  [`${C}PodSpec.imagePullSecrets`]: mergeByName,
  [`${C}PodSpec.hostAliases`]: { s: 'merge', k: 'ip', lt: 'map', lk: ['ip'] },
  [`${C}PodSpec.tolerations`]: atomic,
  [`${C}PodSpec.readinessGates`]: atomic,
  [`${C}PodSpec.nodeSelector`]: { mt: 'atomic' },
  [`${C}PodSpec.topologySpreadConstraints`]: { s: 'merge', k: 'topologyKey', lt: 'map', lk: ['topologyKey', 'whenUnsatisfiable'] },
  [`${C}PodSpec.resourceClaims`]: { s: 'merge,retainKeys', k: 'name', lt: 'map', lk: ['name'] },
  [`${C}PodSpec.schedulingGates`]: mergeByName,
  [`${C}PodSecurityContext.supplementalGroups`]: atomic,
  [`${C}PodSecurityContext.sysctls`]: atomic,
  [`${C}PodDNSConfig.nameservers`]: atomic,
  [`${C}PodDNSConfig.searches`]: atomic,
  [`${C}PodDNSConfig.options`]: atomic,
  [`${C}HostAlias.hostnames`]: atomic,
  [`${C}TopologySpreadConstraint.matchLabelKeys`]: atomic,
  [`${C}NodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`]: atomic,
  [`${C}PodAffinity.requiredDuringSchedulingIgnoredDuringExecution`]: atomic,
  [`${C}PodAffinity.preferredDuringSchedulingIgnoredDuringExecution`]: atomic,
  [`${C}PodAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution`]: atomic,
  [`${C}PodAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution`]: atomic,
  [`${C}PodAffinityTerm.namespaces`]: atomic,
  [`${C}PodAffinityTerm.matchLabelKeys`]: atomic,
  [`${C}PodAffinityTerm.mismatchLabelKeys`]: atomic,
  [`${C}NodeSelector.nodeSelectorTerms`]: atomic,
  [`${C}NodeSelectorTerm.matchExpressions`]: atomic,
  [`${C}NodeSelectorTerm.matchFields`]: atomic,
  [`${C}NodeSelectorRequirement.values`]: atomic,
  [`${C}TopologySelectorTerm.matchLabelExpressions`]: atomic,
  [`${C}TopologySelectorLabelRequirement.values`]: atomic,
  [`${C}ProjectedVolumeSource.sources`]: atomic,
  [`${C}ConfigMapVolumeSource.items`]: atomic,
  [`${C}SecretVolumeSource.items`]: atomic,
  [`${C}ConfigMapProjection.items`]: atomic,
  [`${C}SecretProjection.items`]: atomic,
  [`${C}DownwardAPIVolumeSource.items`]: atomic,
  [`${C}DownwardAPIProjection.items`]: atomic,
  [`${C}CephFSVolumeSource.monitors`]: atomic,
  [`${C}CephFSPersistentVolumeSource.monitors`]: atomic,
  [`${C}RBDVolumeSource.monitors`]: atomic,
  [`${C}RBDPersistentVolumeSource.monitors`]: atomic,
  [`${C}ISCSIVolumeSource.portals`]: atomic,
  [`${C}ISCSIPersistentVolumeSource.portals`]: atomic,
  [`${C}FCVolumeSource.targetWWNs`]: atomic,
  [`${C}FCVolumeSource.wwids`]: atomic,

  // core/v1 Container and EphemeralContainer
  ...containerMeta('Container'),
  ...containerMeta('EphemeralContainer'),
  [`${C}ResourceRequirements.claims`]: { lt: 'map', lk: ['name'] },
  [`${C}Capabilities.add`]: atomic,
  [`${C}Capabilities.drop`]: atomic,
  [`${C}ExecAction.command`]: atomic,
  [`${C}HTTPGetAction.httpHeaders`]: atomic,

  // core/v1 PodStatus
  [`${C}PodStatus.conditions`]: conditions,
  [`${C}PodStatus.containerStatuses`]: atomic,
  [`${C}PodStatus.initContainerStatuses`]: atomic,
  [`${C}PodStatus.ephemeralContainerStatuses`]: atomic,
  [`${C}PodStatus.podIPs`]: { s: 'merge', k: 'ip', lt: 'map', lk: ['ip'] },
  [`${C}PodStatus.hostIPs`]: { s: 'merge', k: 'ip', lt: 'atomic' },
  [`${C}PodStatus.resourceClaimStatuses`]: { s: 'merge,retainKeys', k: 'name', lt: 'map', lk: ['name'] },
  [`${C}ContainerStatus.volumeMounts`]: { s: 'merge', k: 'mountPath', lt: 'map', lk: ['mountPath'] },

  // core/v1 Node
  [`${C}NodeSpec.taints`]: atomic,
  [`${C}NodeSpec.podCIDRs`]: { s: 'merge', lt: 'set' },
  [`${C}NodeStatus.conditions`]: conditions,
  [`${C}NodeStatus.addresses`]: { s: 'merge', k: 'type', lt: 'map', lk: ['type'] },
  [`${C}NodeStatus.images`]: atomic,
  [`${C}NodeStatus.volumesInUse`]: atomic,
  [`${C}NodeStatus.volumesAttached`]: atomic,
  [`${C}NodeStatus.runtimeHandlers`]: atomic,
  [`${C}ContainerImage.names`]: atomic,

  // core/v1 Service, Endpoints
  [`${C}ServiceSpec.ports`]: { s: 'merge', k: 'port', lt: 'map', lk: ['port', 'protocol'] },
  [`${C}ServiceSpec.selector`]: { mt: 'atomic' },
  [`${C}ServiceSpec.clusterIPs`]: atomic,
  [`${C}ServiceSpec.externalIPs`]: atomic,
  [`${C}ServiceSpec.loadBalancerSourceRanges`]: atomic,
  [`${C}ServiceSpec.ipFamilies`]: atomic,
  [`${C}ServiceStatus.conditions`]: conditions,
  [`${C}LoadBalancerStatus.ingress`]: atomic,
  [`${C}LoadBalancerIngress.ports`]: atomic,
  [`${C}Endpoints.subsets`]: atomic,
  [`${C}EndpointSubset.addresses`]: atomic,
  [`${C}EndpointSubset.notReadyAddresses`]: atomic,
  [`${C}EndpointSubset.ports`]: atomic,

  // core/v1 others
  [`${C}NamespaceSpec.finalizers`]: atomic,
  [`${C}NamespaceStatus.conditions`]: conditions,
  [`${C}ServiceAccount.secrets`]: mergeByName,
  [`${C}ServiceAccount.imagePullSecrets`]: atomic,
  [`${C}LimitRangeSpec.limits`]: atomic,
  [`${C}ResourceQuotaSpec.scopes`]: atomic,
  [`${C}ScopeSelector.matchExpressions`]: atomic,
  [`${C}ScopedResourceSelectorRequirement.values`]: atomic,
  [`${C}PersistentVolumeSpec.accessModes`]: atomic,
  [`${C}PersistentVolumeSpec.mountOptions`]: atomic,
  [`${C}PersistentVolumeClaimSpec.accessModes`]: atomic,
  [`${C}PersistentVolumeClaimStatus.accessModes`]: atomic,
  [`${C}PersistentVolumeClaimStatus.conditions`]: conditions,
  [`${C}ReplicationControllerSpec.selector`]: { mt: 'atomic' },
  [`${C}ReplicationControllerStatus.conditions`]: conditions,
  [`${C}ComponentStatus.conditions`]: conditions,

  // apps/v1
  [`${A}DeploymentSpec.strategy`]: { s: 'retainKeys' },
  [`${A}DeploymentStatus.conditions`]: conditions,
  [`${A}ReplicaSetStatus.conditions`]: conditions,
  [`${A}DaemonSetStatus.conditions`]: conditions,
  [`${A}StatefulSetStatus.conditions`]: conditions,
  [`${A}StatefulSetSpec.volumeClaimTemplates`]: atomic,

  // batch/v1
  [`${B}JobStatus.conditions`]: { s: 'merge', k: 'type', lt: 'atomic' },
  [`${B}PodFailurePolicy.rules`]: atomic,
  [`${B}PodFailurePolicyRule.onPodConditions`]: atomic,
  [`${B}PodFailurePolicyOnExitCodesRequirement.values`]: set,
  [`${B}SuccessPolicy.rules`]: atomic,
  [`${B}CronJobStatus.active`]: atomic,

  // discovery/v1
  'io.k8s.api.discovery.v1.EndpointSlice.endpoints': atomic,
  'io.k8s.api.discovery.v1.EndpointSlice.ports': atomic,
  'io.k8s.api.discovery.v1.Endpoint.addresses': set,
  'io.k8s.api.discovery.v1.EndpointHints.forZones': atomic,

  // policy/v1
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus.conditions': conditions,

  // autoscaling
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec.metrics': atomic,
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus.currentMetrics': atomic,
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus.conditions': conditions,
  'io.k8s.api.autoscaling.v2.HPAScalingRules.policies': atomic,

  // rbac/v1
  'io.k8s.api.rbac.v1.Role.rules': atomic,
  'io.k8s.api.rbac.v1.ClusterRole.rules': atomic,
  'io.k8s.api.rbac.v1.PolicyRule.verbs': atomic,
  'io.k8s.api.rbac.v1.PolicyRule.apiGroups': atomic,
  'io.k8s.api.rbac.v1.PolicyRule.resources': atomic,
  'io.k8s.api.rbac.v1.PolicyRule.resourceNames': atomic,
  'io.k8s.api.rbac.v1.PolicyRule.nonResourceURLs': atomic,
  'io.k8s.api.rbac.v1.RoleBinding.subjects': atomic,
  'io.k8s.api.rbac.v1.ClusterRoleBinding.subjects': atomic,
  'io.k8s.api.rbac.v1.AggregationRule.clusterRoleSelectors': atomic,
};

function containerMeta(type) {
  const p = `${C}${type}.`;
  return {
    [`${p}ports`]: { s: 'merge', k: 'containerPort', lt: 'map', lk: ['containerPort', 'protocol'] },
    [`${p}env`]: mergeByName,
    [`${p}envFrom`]: atomic,
    [`${p}volumeMounts`]: { s: 'merge', k: 'mountPath', lt: 'map', lk: ['mountPath'] },
    [`${p}volumeDevices`]: { s: 'merge', k: 'devicePath', lt: 'map', lk: ['devicePath'] },
    [`${p}command`]: atomic,
    [`${p}args`]: atomic,
    [`${p}resizePolicy`]: atomic,
  };
}

/** Types marked `+structType=atomic` / `+mapType=atomic` as a whole. */
const ATOMIC_STRUCTS = [
  `${M}LabelSelector`, `${M}OwnerReference`,
  `${C}ObjectReference`, `${C}LocalObjectReference`, `${C}TypedLocalObjectReference`,
  `${C}TypedObjectReference`, `${C}ConfigMapKeySelector`, `${C}SecretKeySelector`,
  `${C}ObjectFieldSelector`, `${C}ResourceFieldSelector`, `${C}NodeSelector`,
  `${C}NodeSelectorTerm`, `${C}TopologySelectorTerm`, `${C}SecretReference`,
  `${C}ConfigMapEnvSource`, `${C}SecretEnvSource`, `${C}ScopeSelector`, `${C}VolumeNodeAffinity`,
  `${C}ClientIPConfig`, `${C}SessionAffinityConfig`, `${C}SeccompProfile`, `${C}AppArmorProfile`,
  'io.k8s.api.rbac.v1.RoleRef', 'io.k8s.api.rbac.v1.AggregationRule',
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference',
  'io.k8s.api.autoscaling.v2.CrossVersionObjectReference',
];

/** GVKs the .d.ts files cannot express (their apiVersion/kind are plain strings). */
function extraGvks(servedGroupVersions) {
  return {
    [`${M}Status`]: [{ group: '', version: 'v1', kind: 'Status' }],
    [`${M}DeleteOptions`]: servedGroupVersions.map(([group, version]) => ({ group, version, kind: 'DeleteOptions' })),
  };
}

/** Descriptions of types the .d.ts files inline or lack. */
const INTSTR_DESCRIPTION = 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

function findTypesDir() {
  const candidates = [
    path.resolve(__dirname, '..', 'node_modules', 'kubernetes-types'),
    path.resolve(__dirname, '..', '..', '..', 'node_modules', 'kubernetes-types'),
  ];
  for (const c of candidates) if (fs.existsSync(path.join(c, 'core', 'v1.d.ts'))) return c;
  return path.dirname(require.resolve('kubernetes-types/package.json', { paths: [path.resolve(__dirname, '..')] }));
}

/** The modules to read: every stable group-version (no alpha/beta) plus meta, resource, runtime, version. */
function listModules(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules') continue;
      for (const f of fs.readdirSync(path.join(dir, entry.name)).sort()) {
        if (!f.endsWith('.d.ts')) continue;
        const version = f.slice(0, -'.d.ts'.length);
        if (/alpha|beta/.test(version)) continue;
        out.push(`${entry.name}/${version}`);
      }
    } else if (entry.name.endsWith('.d.ts') && entry.name !== 'index.d.ts') {
      out.push(entry.name.slice(0, -'.d.ts'.length));
    }
  }
  return out;
}

function jsDocText(ts, sf, node) {
  const text = sf.getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.pos) || [];
  const docs = ranges.filter((r) => text.startsWith('/**', r.pos));
  const last = docs[docs.length - 1];
  if (!last) return undefined;
  let body = text.slice(last.pos + 3, last.end - 2);
  body = body.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n');
  body = body.replace(/^\s*\n/, '').replace(/\s+$/, '').replace(/^ +/, '');
  return body || undefined;
}

function generate(options = {}) {
  const ts = require('typescript');
  const dir = options.typesDir || findTypesDir();
  const modules = listModules(dir);
  /** name -> schema */
  const schemas = {};
  /** name -> [{group, version, kind}] */
  const gvks = {};
  const servedGroupVersions = [['', 'v1']];

  for (const mod of modules) {
    const file = path.join(dir, `${mod}.d.ts`);
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const prefix = prefixOfModule(mod);
    const [folder, version] = mod.split('/');
    if (version && folder !== 'meta' && folder !== 'core' && folder in GROUP_OF_FOLDER) {
      servedGroupVersions.push([GROUP_OF_FOLDER[folder], version]);
    }

    // Identifier -> schema name, for local and imported declarations.
    const names = {};
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) && st.importClause && st.importClause.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
        const spec = st.moduleSpecifier.text;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(mod), spec));
        for (const el of st.importClause.namedBindings.elements) {
          names[el.name.text] = `${prefixOfModule(target)}.${(el.propertyName || el.name).text}`;
        }
      } else if ((ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) && st.name) {
        names[st.name.text] = `${prefix}.${st.name.text}`;
      }
    }

    const ctx = { ts, sf, names };
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st)) {
        const name = `${prefix}.${st.name.text}`;
        const schema = {};
        const description = jsDocText(ts, sf, st);
        if (description) schema.description = description;
        const properties = {};
        const required = [];
        let apiVersion;
        let kind;
        let additional;
        for (const m of st.members) {
          if (ts.isPropertySignature(m) && m.type) {
            const prop = m.name.text;
            const ps = typeToSchema(ctx, m.type, { owner: st.name.text, prop });
            const d = jsDocText(ts, sf, m);
            if (d) ps.description = d;
            properties[prop] = ps;
            if (!m.questionToken) required.push(prop);
            if (prop === 'apiVersion' && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal)) apiVersion = m.type.literal.text;
            if (prop === 'kind' && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal)) kind = m.type.literal.text;
          } else if (ts.isIndexSignatureDeclaration(m) && m.type) {
            additional = typeToSchema(ctx, m.type, { owner: st.name.text, prop: '*' });
          }
        }
        if (Object.keys(properties).length) schema.properties = properties;
        if (required.length) schema.required = required;
        if (additional) schema.additionalProperties = additional;
        schema.type = 'object';
        schemas[name] = schema;
        if (apiVersion && kind) {
          const slash = apiVersion.indexOf('/');
          gvks[name] = [{ group: slash >= 0 ? apiVersion.slice(0, slash) : '', version: slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion, kind }];
        }
      } else if (ts.isTypeAliasDeclaration(st)) {
        const name = `${prefix}.${st.name.text}`;
        const schema = typeToSchema(ctx, st.type, { owner: st.name.text, prop: '' });
        const description = jsDocText(ts, sf, st);
        if (description) schema.description = description;
        schemas[name] = schema;
      }
    }
  }

  // Types with special wire formats.
  // As Kubernetes publishes them in OpenAPI v3 (OpenAPIV3OneOfTypes): no `type`, a oneOf of the
  // accepted JSON types. kubectl explain then prints the type as <IntOrString> / <Quantity>.
  if (schemas[QUANTITY]) {
    schemas[QUANTITY] = { description: schemas[QUANTITY].description, oneOf: [{ type: 'string' }, { type: 'number' }], 'x-kubernetes-int-or-string': true };
  }
  schemas[INTSTR] = { description: INTSTR_DESCRIPTION, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
  for (const t of ['Time', 'MicroTime']) {
    const s = schemas[`${META}.${t}`];
    if (s) { s.type = 'string'; s.format = 'date-time'; }
  }

  // Patch metadata.
  for (const [key, meta] of Object.entries(PATCH_META)) {
    const dot = key.lastIndexOf('.');
    const owner = schemas[key.slice(0, dot)];
    const prop = owner && owner.properties && owner.properties[key.slice(dot + 1)];
    if (!prop) {
      if (options.strict) throw new Error(`patch metadata for unknown field ${key}`);
      continue;
    }
    if (meta.lt) prop['x-kubernetes-list-type'] = meta.lt;
    if (meta.lk) prop['x-kubernetes-list-map-keys'] = meta.lk;
    if (meta.mt) prop['x-kubernetes-map-type'] = meta.mt;
    if (meta.k) prop['x-kubernetes-patch-merge-key'] = meta.k;
    if (meta.s) prop['x-kubernetes-patch-strategy'] = meta.s;
  }
  for (const name of ATOMIC_STRUCTS) {
    if (schemas[name]) schemas[name]['x-kubernetes-map-type'] = 'atomic';
    else if (options.strict) throw new Error(`atomic struct ${name} not found`);
  }

  // Group-version-kinds.
  Object.assign(gvks, extraGvks(servedGroupVersions));
  for (const [name, list] of Object.entries(gvks)) if (schemas[name]) schemas[name]['x-kubernetes-group-version-kind'] = list;

  // Deterministic output: schemas sorted by name, keys in a stable order.
  const out = {};
  for (const name of Object.keys(schemas).sort()) out[name] = sortKeys(schemas[name]);

  // Every reference must resolve.
  const dangling = new Set();
  JSON.stringify(out, (k, v) => {
    if (k === '$ref' && typeof v === 'string' && !out[v.slice('#/components/schemas/'.length)]) dangling.add(v);
    return v;
  });
  if (dangling.size) {
    const msg = `gen-schemas: unresolved references: ${[...dangling].join(', ')}`;
    if (options.strict) throw new Error(msg);
    process.stderr.write(`${msg}\n`);
  }
  return out;
}

/** Converts a .d.ts type node to a schema. */
function typeToSchema(ctx, node, where) {
  const { ts, names } = ctx;
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return { type: 'string' };
    case ts.SyntaxKind.BooleanKeyword: return { type: 'boolean' };
    case ts.SyntaxKind.NumberKeyword: return numberSchema(where);
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
    case ts.SyntaxKind.ObjectKeyword: return {};
    default: break;
  }
  if (ts.isParenthesizedTypeNode(node)) return typeToSchema(ctx, node.type, where);
  if (ts.isLiteralTypeNode(node)) {
    if (ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isNumericLiteral(node.literal)) return numberSchema(where);
    return { type: 'boolean' };
  }
  if (ts.isArrayTypeNode(node)) return { type: 'array', items: itemSchema(typeToSchema(ctx, node.elementType, where)) };
  if (ts.isTypeReferenceNode(node)) {
    const id = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
    if ((id === 'Array' || id === 'ReadonlyArray') && node.typeArguments && node.typeArguments[0]) {
      return { type: 'array', items: itemSchema(typeToSchema(ctx, node.typeArguments[0], where)) };
    }
    if (id === 'Record' && node.typeArguments && node.typeArguments[1]) {
      return { type: 'object', additionalProperties: typeToSchema(ctx, node.typeArguments[1], where) };
    }
    const target = names[id];
    if (target) return { $ref: `#/components/schemas/${target}` };
    return {};
  }
  if (ts.isTypeLiteralNode(node)) {
    const schema = { type: 'object' };
    const properties = {};
    for (const m of node.members) {
      if (ts.isIndexSignatureDeclaration(m) && m.type) schema.additionalProperties = typeToSchema(ctx, m.type, where);
      else if (ts.isPropertySignature(m) && m.type) properties[m.name.text] = typeToSchema(ctx, m.type, where);
    }
    if (Object.keys(properties).length) schema.properties = properties;
    return schema;
  }
  if (ts.isUnionTypeNode(node)) {
    const kinds = node.types.map((t) => t.kind).sort();
    const intOrString = [ts.SyntaxKind.NumberKeyword, ts.SyntaxKind.StringKeyword].sort();
    if (kinds.length === 2 && kinds[0] === intOrString[0] && kinds[1] === intOrString[1]) {
      return { $ref: `#/components/schemas/${INTSTR}` };
    }
    const members = node.types.map((t) => typeToSchema(ctx, t, where));
    if (members.every((m) => m.type === 'string' && !m.$ref)) return { type: 'string' };
    return {}; // e.g. JSONSchemaProps | boolean: any JSON value
  }
  return {};
}

function numberSchema(where) {
  const key = `${where.owner}.${where.prop}`;
  if (DOUBLE.has(key)) return { type: 'number', format: 'double' };
  if (INT64.has(key) || INT64.has(`*.${where.prop}`)) return { type: 'integer', format: 'int64' };
  return { type: 'integer', format: 'int32' };
}

/** Array items referencing a component are wrapped in allOf, as Kubernetes publishes them. */
function itemSchema(s) {
  return s.$ref ? { allOf: [s], default: {} } : s;
}

/** Stable key order, recursively; property references wrapped by wrapRef. */
function sortKeys(schema) {
  const s = { ...schema };
  if (s.properties) {
    const props = {};
    for (const k of Object.keys(s.properties)) props[k] = wrapRef(sortKeys(s.properties[k]));
    s.properties = props;
  }
  if (s.items) s.items = sortKeys(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') s.additionalProperties = sortKeys(s.additionalProperties);
  const out = {};
  for (const k of Object.keys(s).sort()) out[k] = s[k];
  return out;
}

/** Properties referencing a component: `allOf: [{$ref}]` so a description can sit beside it. */
function wrapRef(p) {
  if (!p.$ref) return p;
  const { $ref, ...rest } = p;
  const out = { allOf: [{ $ref }], ...rest };
  const sorted = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

function main() {
  const started = Date.now();
  const schemas = generate({ strict: process.argv.includes('--strict') });
  const outDir = path.resolve(__dirname, '..', 'generated');
  const outFile = path.join(outDir, 'schemas.json');
  const json = JSON.stringify(schemas, null, 1) + '\n';
  fs.mkdirSync(outDir, { recursive: true });
  let old;
  try { old = fs.readFileSync(outFile, 'utf8'); } catch { old = undefined; }
  if (old !== json) {
    const tmp = `${outFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, json);
    fs.renameSync(tmp, outFile);
  }
  const count = Object.keys(schemas).length;
  process.stdout.write(`gen-schemas: ${count} schemas ${old === json ? 'unchanged' : 'written'} to ${path.relative(process.cwd(), outFile)} in ${Date.now() - started} ms\n`);
}

module.exports = { generate, PATCH_META };

if (require.main === module) main();
