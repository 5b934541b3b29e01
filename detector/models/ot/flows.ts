import { ATTACK_ICS_TECHNIQUES, INDUSTRIAL_PORTS, industrialPort, isIndustrialService } from '../../features/ot';
import type { AnomalyDraft } from '../../anomaly/anomaly';
import type { ModelContext } from '../model';

/**
 * What the OT model's concerns share: the conn filter for industrial flows, ATT&CK for ICS technique entries, the
 * gathering of a conn sweep's rows per source, and the wording of figures in explanations.
 */

export const MODEL_ID = 'ot' as const;

/** Techniques the OT model assigns beyond the operation classes' own (`ATTACK_ICS_TECHNIQUES`). */
const MORE_ICS_TECHNIQUES = {
  T0848: 'Rogue Master',
  T0886: 'Remote Services',
  T0883: 'Internet Accessible Device',
} as const;

export type IcsTechniqueId = keyof typeof ATTACK_ICS_TECHNIQUES | keyof typeof MORE_ICS_TECHNIQUES;
type Technique = NonNullable<AnomalyDraft['techniques']>[number];

export function icsTechnique(id: string): Technique {
  const names: Record<string, string> = { ...ATTACK_ICS_TECHNIQUES, ...MORE_ICS_TECHNIQUES };
  return { id, name: names[id] ?? id, framework: 'MITRE ATT&CK for ICS' };
}

/**
 * `network.protocol` values of conn records (Zeek's `service`, lower-cased by the normalizer) that name an
 * industrial analyzer, as Zeek and the ICSNPP parsers register them. Each passes `isIndustrialService`.
 */
export const INDUSTRIAL_SERVICES: readonly string[] = [
  'modbus',
  'dnp3_tcp',
  'dnp3_udp',
  'cotp',
  's7comm',
  's7comm-plus',
  'enip',
  'cip',
  'bacnet',
  'bsap',
  'opcua-binary',
  'spicy_profinet_io_cm',
  'synchrophasor_tcp',
  'synchrophasor_udp',
  'spicy_hart_ip_tcp',
  'spicy_hart_ip_udp',
  'iec104',
  'spicy_iec104',
  'ge_srtp',
  'omron_fins',
  'c1222',
  'roc_plus',
  'genisys',
];

function portsOf(transport: 'tcp' | 'udp'): number[] {
  // Shared ports (DNP3's 20000 is Usermin's too) would make every IT use of them look industrial: only the
  // service name Zeek recognized counts there.
  return [...new Set(INDUSTRIAL_PORTS.filter((p) => p.transport === transport && !p.shared).map((p) => p.port))];
}

/** Conn records of industrial flows: an industrial service, or an industrial port that IT software does not share. */
export function industrialFlowFilter(): Record<string, unknown> {
  return {
    bool: {
      should: [
        { terms: { 'network.protocol': INDUSTRIAL_SERVICES } },
        { bool: { filter: [{ term: { 'network.transport': 'tcp' } }, { terms: { 'destination.port': portsOf('tcp') } }] } },
        { bool: { filter: [{ term: { 'network.transport': 'udp' } }, { terms: { 'destination.port': portsOf('udp') } }] } },
      ],
      minimum_should_match: 1,
    },
  };
}

/** The industrial protocol a flow speaks, by service name first, then by port; undefined when neither says. */
export function industrialProtocolOf(transport: string | undefined, port: number | undefined, services: readonly string[]): string | undefined {
  const service = services.find((s) => isIndustrialService(s));
  if (service !== undefined) return service;
  if (transport === undefined || port === undefined) return undefined;
  const entry = industrialPort(transport, port);
  return entry === undefined || entry.shared ? undefined : entry.protocol;
}

/** Multicast and broadcast addresses, which are never a master nor a device. */
export const EVERYONE = ['224.0.0.0/4', 'ff00::/8', '255.255.255.255/32'];

export function notFromOrToEveryone(): Record<string, unknown> {
  return { bool: { must_not: [{ terms: { 'destination.ip': EVERYONE } }, { terms: { 'source.ip': EVERYONE } }] } };
}

/** Zones at or below this Purdue level hold OT devices (0 process, 1 basic control, 2 supervisory control). */
export const OT_MAX_LEVEL = 2;
/** Zones at or above this level hold IT devices (3 site operations, 4 business, 5 enterprise). */
export const IT_MIN_LEVEL = 3;

export function zoneLevel(ctx: ModelContext, ip: string): { zone?: string; level?: number } {
  const zone = ctx.zones.zoneOf(ip);
  return { zone, level: zone === undefined ? undefined : ctx.zones.level(zone) };
}

/**
 * A composite sweep's rows gathered per source and handed to `judge` in batches. The sweep is ordered by source, so
 * a source's rows are contiguous and its entry is complete when the next source starts; only sources this
 * partition owns get an entry, and only entries that `keep` accepts are judged.
 */
export class SourceBatches<T extends { source: string }> {
  private current: T | undefined;
  private batch: T[] = [];

  constructor(
    private readonly judge: (batch: T[]) => Promise<void>,
    private readonly keep: (entry: T) => boolean = () => true,
    private readonly size = 500,
  ) {}

  /** The entry of a row's source: the current one, a new one from `start`, or undefined for a source not owned. */
  async entry(ctx: ModelContext, source: string, start: () => T): Promise<T | undefined> {
    if (this.current?.source === source) return this.current;
    await this.close(false);
    if (!ctx.partition.owns(source)) return undefined;
    this.current = start();
    return this.current;
  }

  /** Judges what is left once the sweep has ended. */
  async finish(): Promise<void> {
    await this.close(true);
  }

  private async close(force: boolean): Promise<void> {
    if (this.current && this.keep(this.current)) this.batch.push(this.current);
    this.current = undefined;
    if (this.batch.length >= this.size || (force && this.batch.length > 0)) {
      await this.judge(this.batch);
      this.batch = [];
    }
  }
}

export const PROTOCOL_NAMES: Readonly<Record<string, string>> = {
  modbus: 'Modbus',
  dnp3: 'DNP3',
  s7comm: 'S7comm',
  s7comm_plus: 'S7comm-plus',
  cip: 'CIP',
  enip: 'EtherNet/IP',
  bacnet: 'BACnet',
  bsap: 'BSAP',
  opcua: 'OPC UA',
  profinet: 'PROFINET',
  hart_ip: 'HART-IP',
  synchrophasor: 'C37.118',
  ethercat: 'EtherCAT',
};

export function protocolName(protocol: string): string {
  return PROTOCOL_NAMES[protocol] ?? protocol;
}

/** 950, 12k, 120k, 3.4M: request counts as people say them. */
export function formatCount(n: number): string {
  const r = Math.round(n);
  if (r < 10_000) return String(r);
  if (r < 1_000_000) return `${Math.round(r / 1000)}k`;
  return `${Math.round(r / 100_000) / 10}M`;
}

export function formatSpan(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 1) return `${Math.max(1, Math.round(ms / 60_000))} minutes`;
  if (hours < 48) return `${Math.round(hours)} hour${Math.round(hours) === 1 ? '' : 's'}`;
  const days = Math.round(hours / 24);
  return `${days} days`;
}
