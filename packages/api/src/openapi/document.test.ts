import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, groupVersions } from '../resources';
import { openApiV3Document, openApiV3DocumentJson, openApiV3Root, parseOpenApiV3Path, type OpenApiOperation } from './document';
import { REF_PREFIX, type Schema, loadSchemas, refName, resolveSchema } from './schemas';

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

test('root lists every group-version with a hashed URL', () => {
  const root = openApiV3Root();
  assert.equal(Object.keys(root.paths).length, groupVersions().length);
  assert.match(root.paths['api/v1']?.serverRelativeURL ?? '', /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
  const apps = root.paths['apis/apps/v1']?.serverRelativeURL ?? '';
  assert.equal(apps, `/openapi/v3/apis/apps/v1?hash=${openApiV3DocumentJson('apps', 'v1')?.hash}`);
  assert.deepEqual(openApiV3Root(), root, 'stable');
  assert.deepEqual(parseOpenApiV3Path('apis/apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(parseOpenApiV3Path('/api/v1'), { group: '', version: 'v1' });
  assert.equal(parseOpenApiV3Path('apis/apps'), undefined);
  assert.equal(openApiV3Document('nope', 'v1'), undefined);
});

test('every kind has a patch operation with fieldValidation and the four patch types', () => {
  for (const { group, version } of groupVersions()) {
    const doc = openApiV3Document(group, version);
    assert.ok(doc, `${group}/${version}`);
    assert.equal(doc.openapi, '3.0.0');
    const patches: OpenApiOperation[] = [];
    for (const item of Object.values(doc.paths)) if (item.patch) patches.push(item.patch);
    for (const p of patches) {
      const names = (p.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name);
      for (const n of ['fieldValidation', 'dryRun', 'fieldManager', 'force']) assert.ok(names.includes(n), `${p.operationId} lacks ${n}`);
      assert.deepEqual(Object.keys(p.requestBody?.content ?? {}).sort(), PATCH_TYPES);
      for (const t of PATCH_TYPES) assert.equal(p.requestBody?.content[t]?.schema.$ref, `${REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.Patch`);
      assert.equal(p['x-kubernetes-action'], 'patch');
    }
    for (const r of RESOURCES.filter((x) => x.group === group && x.version === version && x.verbs.includes('patch'))) {
      const found = patches.some((p) => {
        const g = p['x-kubernetes-group-version-kind'];
        return g.group === r.group && g.version === r.version && g.kind === r.kind;
      });
      assert.ok(found, `no patch operation for ${r.kind}`);
    }
    // Every reference resolves inside the document.
    const refs: string[] = [];
    JSON.stringify(doc, (k, v: unknown) => { if (k === '$ref') refs.push(v as string); return v; });
    for (const ref of refs) assert.ok(doc.components.schemas[refName(ref)], `dangling ${ref} in ${group}/${version}`);
  }
});

test('paths for namespaced and cluster-scoped kinds, subresources', () => {
  const core = openApiV3Document('', 'v1');
  assert.ok(core);
  const pods = core.paths['/api/v1/namespaces/{namespace}/pods'];
  assert.equal(pods?.get?.['x-kubernetes-action'], 'list');
  assert.equal(pods?.post?.['x-kubernetes-action'], 'post');
  assert.equal(pods?.delete?.['x-kubernetes-action'], 'deletecollection');
  const pod = core.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  for (const m of ['get', 'put', 'patch', 'delete'] as const) assert.deepEqual(pod?.[m]?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
  assert.ok(core.paths['/api/v1/pods']?.get);
  assert.ok(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/status']?.patch);
  assert.deepEqual(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction']?.post?.['x-kubernetes-group-version-kind'], { group: 'policy', version: 'v1', kind: 'Eviction' });
  assert.ok(core.paths['/api/v1/nodes/{name}']?.patch);
  assert.equal(core.paths['/api/v1/namespaces']?.delete, undefined, 'namespaces have no deletecollection');
  assert.ok(core.components.schemas['io.k8s.api.core.v1.PodList']);
  assert.ok(core.components.schemas['io.k8s.api.policy.v1.Eviction']);
  assert.ok(core.components.schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']);
  assert.equal(core.components.schemas['io.k8s.api.apps.v1.Deployment'], undefined);
  const apps = openApiV3Document('apps', 'v1');
  const scale = apps?.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.deepEqual(scale?.patch?.['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  assert.ok(apps?.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
});

test('apps/v1 carries the Deployment schema for explain and strategic merge patch', () => {
  const doc = openApiV3Document('apps', 'v1');
  const d = doc?.components.schemas['io.k8s.api.apps.v1.Deployment'];
  assert.ok(d);
  assert.match(d.description ?? '', /Deployment enables declarative updates for Pods and ReplicaSets/);
  assert.deepEqual(d['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.deepEqual(d.properties?.spec?.allOf, [{ $ref: `${REF_PREFIX}io.k8s.api.apps.v1.DeploymentSpec` }]);
  assert.ok(d.properties?.spec?.description);
  // Walk spec.template.spec.containers the way kubectl does.
  const schemas = doc?.components.schemas ?? {};
  const step = (s: Schema | undefined, f: string): Schema | undefined => {
    const r = s && resolveSchema(s, schemas).schema;
    return r?.properties?.[f];
  };
  const containers = step(step(step(d, 'spec'), 'template'), 'spec');
  const c = step(containers, 'containers');
  assert.equal(c?.['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(c?.['x-kubernetes-patch-strategy'], 'merge');
  const container = c?.items && resolveSchema(c.items, schemas).schema;
  assert.match(container?.description ?? '', /A single application container/);
  assert.ok(container?.properties?.image?.description);
  assert.deepEqual(container?.required, ['name']);
  assert.equal(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']?.properties?.labels?.additionalProperties && true, true);
  assert.equal(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']?.properties?.generation?.format, 'int64');
  assert.equal(schemas['io.k8s.api.apps.v1.DeploymentSpec']?.properties?.replicas?.format, 'int32');
  assert.equal(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']?.['x-kubernetes-int-or-string'], true);
  assert.deepEqual(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity']?.oneOf, [{ type: 'string' }, { type: 'number' }]);
  assert.equal(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time']?.format, 'date-time');
});

test('generated schemas are up to date with the generator (strict: every table entry resolves)', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const gen = require('../../scripts/gen-schemas.js') as { generate: (o: { strict: boolean }) => unknown };
  const fresh = gen.generate({ strict: true });
  assert.deepEqual(fresh, JSON.parse(JSON.stringify(loadSchemas())));
});
