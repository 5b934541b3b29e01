import { readFile } from 'node:fs/promises';

export type IpFamily = 4 | 6;

export interface UdpSocketId {
  family: IpFamily;
  port: number;
}

/** The kernel's tables of UDP sockets in this network namespace, one per family. */
const TABLES: Record<IpFamily, string> = { 4: '/proc/net/udp', 6: '/proc/net/udp6' };

/**
 * Drops per local port in a `/proc/net/udp` or `/proc/net/udp6` table: the `drops` column (the last) counts the
 * datagrams the kernel discarded for that socket, mostly because its receive buffer was full. Ports held by several
 * sockets (different local addresses) add up.
 */
export function parseUdpTable(text: string): Map<number, number> {
  const drops = new Map<number, number>();
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const columns = lines[i].trim().split(/\s+/);
    if (columns.length < 13) continue;
    const local = columns[1];
    const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    const dropped = Number(columns[columns.length - 1]);
    if (Number.isNaN(port) || !Number.isFinite(dropped)) continue;
    drops.set(port, (drops.get(port) ?? 0) + dropped);
  }
  return drops;
}

/**
 * Datagrams the kernel dropped before the receiver could read them. Node cannot ask a socket for its drop count, so
 * it is read from the kernel's socket tables by local port; a socket of another process bound to the same port on
 * another address would be counted too. Counts are taken relative to the moment the sockets were bound.
 */
export class KernelUdpDrops {
  private readonly baseline = new Map<string, number>();
  private readonly last = new Map<string, number>();

  private constructor(
    private readonly sockets: readonly UdpSocketId[],
    /** False where the tables cannot be read (not Linux, no /proc): the drops are then not known. */
    readonly available: boolean,
  ) {}

  static async start(sockets: readonly UdpSocketId[]): Promise<KernelUdpDrops> {
    const distinct = [...new Map(sockets.map((s) => [idOf(s), s])).values()];
    const tables = await readTables(distinct);
    const meter = new KernelUdpDrops(distinct, tables !== undefined);
    for (const s of distinct) {
      const now = tables?.[s.family]?.get(s.port) ?? 0;
      meter.baseline.set(idOf(s), now);
      meter.last.set(idOf(s), now);
    }
    return meter;
  }

  /** Datagrams dropped by the kernel since `start`, over all the sockets. */
  async poll(): Promise<number> {
    const tables = this.available ? await readTables(this.sockets) : undefined;
    let total = 0;
    for (const s of this.sockets) {
      const id = idOf(s);
      // A socket gone from the table (closed) keeps its last count.
      const now = tables?.[s.family]?.get(s.port);
      if (now !== undefined && now >= this.last.get(id)!) this.last.set(id, now);
      total += this.last.get(id)! - this.baseline.get(id)!;
    }
    return total;
  }
}

async function readTables(sockets: readonly UdpSocketId[]): Promise<Partial<Record<IpFamily, Map<number, number>>> | undefined> {
  const out: Partial<Record<IpFamily, Map<number, number>>> = {};
  for (const family of [4, 6] as const) {
    if (!sockets.some((s) => s.family === family)) continue;
    try {
      out[family] = parseUdpTable(await readFile(TABLES[family], 'utf8'));
    } catch {
      return undefined;
    }
  }
  return out;
}

function idOf(s: UdpSocketId): string {
  return `${s.family}:${s.port}`;
}
