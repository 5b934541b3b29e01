/**
 * What is known about one address: its configured zone (with the zone's Purdue level) and the role the asset
 * inventory gave the device. Written to the document as it is (shared, never copied): give only these fields,
 * leave out the unknown ones, and freeze it.
 */
export interface AssetFields {
  zone?: string;
  level?: number;
  role?: string;
}

/** What the Zeek normalizer needs to know beyond the record itself. */
export interface NormalizeContext {
  /** True when the address belongs to a configured local network (drives `network.direction`). */
  isLocal(ip: string): boolean;
  /** Sensor name from configuration (`observer.name`), when set. */
  sensor?: string;
  /** Epoch seconds used for `@timestamp` when the record has no usable `ts` (masked, missing, out of range). */
  fallbackTs: number;
  /** ISO8601 time of ingestion (`event.ingested`). */
  ingested: string;
  /** Zone and role of an address (`vigil.source.*`, `vigil.destination.*`); undefined when nothing is known. */
  assetOf?(ip: string): Readonly<AssetFields> | undefined;
}

/** An ECS document ready to index. `@timestamp` is always an ISO8601 string. */
export interface EcsDocument {
  '@timestamp': string;
  event: { dataset: string; kind: string; [k: string]: unknown };
  [k: string]: unknown;
}
