/**
 * The documents of a bulk `index` request as an Elasticsearch stand-in receives it: the store sends lines already
 * serialised (strings), which the Elasticsearch client passes on as they are; other writers send objects.
 */
export function indexedDocs(operations: readonly unknown[]): Array<{ id: string; doc: unknown }> {
  const line = (o: unknown) => (typeof o === 'string' ? JSON.parse(o) : structuredClone(o));
  const out: Array<{ id: string; doc: unknown }> = [];
  for (let i = 0; i < operations.length; i += 2) out.push({ id: (line(operations[i]) as { index: { _id: string } }).index._id, doc: line(operations[i + 1]) });
  return out;
}
