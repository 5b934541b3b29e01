/** Helpers to build index mappings from flat field tables. */
import type { FieldMapping } from './ecs-fields';

export type Properties = Record<string, Record<string, unknown>>;

/** `{ "a.b.c": m }` -> `{ a: { properties: { b: { properties: { c: m } } } } }`. */
export function nest(flat: Readonly<Record<string, FieldMapping>>): Properties {
  const root: Properties = {};
  for (const [name, mapping] of Object.entries(flat)) {
    const parts = name.split('.');
    let level = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const node = (level[parts[i]] ??= { properties: {} });
      level = node.properties as Properties;
    }
    level[parts[parts.length - 1]] = { ...mapping };
  }
  return root;
}

export function countFields(properties: Properties): number {
  let n = 0;
  for (const child of Object.values(properties)) {
    n++;
    if (child.properties !== undefined) n += countFields(child.properties as Properties);
  }
  return n;
}

/** Room above the mapped fields for a site's own additions (a component template, a runtime field). */
const FIELD_HEADROOM = 1000;

/** `index.mapping.total_fields.limit`: the mapped fields plus headroom; with `dynamic: false` the mapping never grows by itself. */
export function fieldLimit(properties: Properties): number {
  return Math.ceil((countFields(properties) + FIELD_HEADROOM) / 1000) * 1000;
}
