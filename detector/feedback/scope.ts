import type { Conduit, MaintenanceWindow, ModelId, Zone } from '../../common/config/detector-schema';
import { localNetworkMatcher } from '../../ingest/enrich/direction';

/** Which configured zone an address is in (first match in configuration order), or undefined. */
export class ZoneMap {
  private readonly matchers: Array<{ zone: Zone; contains: (ip: string) => boolean }>;
  private readonly cache = new Map<string, string | null>();

  constructor(readonly zones: readonly Zone[]) {
    this.matchers = zones.map((zone) => ({ zone, contains: localNetworkMatcher(zone.subnets) }));
  }

  get configured(): boolean {
    return this.matchers.length > 0;
  }

  zoneOf(ip: string): string | undefined {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit ?? undefined;
    const found = this.matchers.find((m) => m.contains(ip))?.zone.name ?? null;
    // Bounded: a pass meets at most a page's worth of new addresses at a time; the cache is a speed-up only.
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(ip, found);
    return found ?? undefined;
  }

  level(zone: string): number | undefined {
    return this.zones.find((z) => z.name === zone)?.level;
  }
}

/** Whether the configured conduits allow a flow from zone `from` to zone `to` on this port and protocol. */
export function conduitAllows(conduits: readonly Conduit[], from: string, to: string, port: number | undefined, protocol: string | undefined): boolean {
  if (from === to) return true;
  return conduits.some(
    (c) =>
      (c.from === '*' || c.from === from) &&
      (c.to === '*' || c.to === to) &&
      (!c.ports || (port !== undefined && c.ports.includes(port))) &&
      (!c.protocols || (protocol !== undefined && c.protocols.includes(protocol))),
  );
}

/** Maintenance windows: which one, if any, covers a model, a device and a time. */
export class MaintenanceCalendar {
  private readonly windows: Array<{ w: MaintenanceWindow; start: number; end: number; device?: (ip: string) => boolean }>;

  constructor(
    windows: readonly MaintenanceWindow[],
    private readonly zones: ZoneMap,
  ) {
    this.windows = windows.map((w) => ({
      w,
      start: Date.parse(w.start),
      end: Date.parse(w.end),
      device: w.devices.length ? localNetworkMatcher(w.devices) : undefined,
    }));
  }

  covering(model: ModelId, ips: readonly string[], time: number): MaintenanceWindow | undefined {
    for (const { w, start, end, device } of this.windows) {
      if (time < start || time >= end) continue;
      if (w.models.length && !w.models.includes(model)) continue;
      const anyScope = !device && w.zones.length === 0;
      if (anyScope) return w;
      for (const ip of ips) {
        if (device?.(ip)) return w;
        const zone = this.zones.zoneOf(ip);
        if (zone && w.zones.includes(zone)) return w;
      }
    }
    return undefined;
  }

  /** Whether a baseline may learn from what this entity did at this time. */
  mayLearn(model: ModelId, ips: readonly string[], time: number): boolean {
    const w = this.covering(model, ips, time);
    return !w || w.learn;
  }
}
