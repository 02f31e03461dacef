import type { KObject } from '@skiff/api';
import type { TableColumnDefinition } from './types';
import { FIELD_DOCS } from './field-docs';
import { translateTimestampSince } from './duration';

/** A column definition; `format` is '' and `priority` 0 unless given, as the API server sends them. */
export function column(
  name: string, type: string, description: string, opts: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

/** A column shown only by `-o wide`. */
export function wide(name: string, type: string, description: string): TableColumnDefinition {
  return column(name, type, description, { priority: 1 });
}

export const NAME_COLUMN = column('Name', 'string', FIELD_DOCS.metaName, { format: 'name' });
export const AGE_COLUMN = column('Age', 'string', FIELD_DOCS.metaCreationTimestamp);

export const CONTAINERS_DOC = 'Names of each container in the template.';
export const IMAGES_DOC = 'Images referenced by each container in the template.';

/** The NAME cell. */
export function nameOf(obj: KObject): string {
  return obj.metadata.name ?? '';
}

/** The AGE cell. */
export function ageOf(obj: KObject, now: Date): string {
  return translateTimestampSince(obj.metadata.creationTimestamp, now);
}

/** `layoutContainerCells`: container names and images, comma-joined. */
export function containerCells(containers: readonly { name: string; image?: string }[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}
