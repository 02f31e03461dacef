import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { KObject } from '@skiff/api';
import type { Printer } from './types';
import { AGE_COLUMN, CONTAINERS_DOC, IMAGES_DOC, NAME_COLUMN, ageOf, column, containerCells, nameOf, wide } from './columns';
import { FIELD_DOCS as D } from './field-docs';
import { formatLabelSelector, formatLabels, labelSelectorString } from './label-format';

const as = <T>(obj: KObject): T => obj as unknown as T;

export const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', D.deployUpdated),
    column('Available', 'string', D.deployAvailable),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
    wide('Selector', 'string', D.deploySelector),
  ],
  cells(obj, now) {
    const d = as<Deployment>(obj);
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    return [
      nameOf(obj), `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      d.status?.updatedReplicas ?? 0, d.status?.availableReplicas ?? 0, ageOf(obj, now),
      names, images, labelSelectorString(d.spec?.selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', D.rsSpecReplicas),
    column('Current', 'integer', D.rsStatusReplicas),
    column('Ready', 'integer', D.rsStatusReadyReplicas),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
    wide('Selector', 'string', D.rsSpecSelector),
  ],
  cells(obj, now) {
    const rs = as<ReplicaSet>(obj);
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    return [
      nameOf(obj), rs.spec?.replicas ?? 1, rs.status?.replicas ?? 0, rs.status?.readyReplicas ?? 0,
      ageOf(obj, now), names, images, formatLabelSelector(rs.spec?.selector),
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', D.dsDesired),
    column('Current', 'integer', D.dsCurrent),
    column('Ready', 'integer', D.dsReady),
    column('Up-to-date', 'integer', D.dsUpdated),
    column('Available', 'integer', D.dsAvailable),
    column('Node Selector', 'string', D.podNodeSelector),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
    wide('Selector', 'string', D.dsSelector),
  ],
  cells(obj, now) {
    const ds = as<DaemonSet>(obj);
    const st = ds.status;
    const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
    return [
      nameOf(obj), st?.desiredNumberScheduled ?? 0, st?.currentNumberScheduled ?? 0, st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0, st?.numberAvailable ?? 0,
      formatLabels(ds.spec?.template?.spec?.nodeSelector), ageOf(obj, now),
      names, images, formatLabelSelector(ds.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
  ],
  cells(obj, now) {
    const sts = as<StatefulSet>(obj);
    const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
    return [nameOf(obj), `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 1}`, ageOf(obj, now), names, images];
  },
};

/** `kind.group/name` of the controlling owner, lower-cased, e.g. `daemonset.apps/fluentd`. */
function controllerName(obj: KObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const parts = (ref.apiVersion ?? '').split('/');
  const group = parts.length === 2 ? parts[0] ?? '' : '';
  if (parts.length > 2) return ref.name; // unparseable apiVersion
  if (!group && !ref.kind) return ref.name;
  const groupKind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', D.crRevision),
    AGE_COLUMN,
  ],
  cells: (obj, now) => [nameOf(obj), controllerName(obj), as<ControllerRevision>(obj).revision ?? 0, ageOf(obj, now)],
};
