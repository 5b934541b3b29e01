/**
 * The asset inventory's vocabulary: what one pass observes about an address, and the asset document it keeps per
 * device in `vigil-assets`. Times are epoch milliseconds in memory and ISO 8601 in documents.
 */
import type { OperationClass } from '../features/ot';

/** Where a fact came from, so that every field of an asset can be traced back to the log that said it. */
export interface Seen {
  /** Zeek log path (`dhcp`, `cip_identity`, `conn`, ...) or `inventory` for the user's own list. */
  source: string;
  first: number;
  last: number;
}

export interface MacAddress extends Seen {
  /** ECS spelling: upper-case, dash-separated (`00-1D-9C-C6-72-E8`). */
  mac: string;
  /** Organisation the IEEE registered the MAC's prefix to, when known. */
  vendor?: string;
}

export interface HostName extends Seen {
  name: string;
}

/** An application protocol the device speaks as client (`spoken`) or answers as server (`served`). */
export interface ProtocolUse {
  /** `network.protocol` (Zeek's service: modbus, dnp3, ssl, http...), or `unknown` when Zeek named none. */
  protocol: string;
  transport?: string;
  /** Destination ports seen for it (served: the ports it answers on), at most a few. */
  ports: number[];
  /** Distinct peers (clients for `served`, servers for `spoken`), as counted when last observed. */
  peers: number;
  events: number;
  first: number;
  last: number;
}

export interface Software extends Seen {
  /** Zeek's `software_type` (`HTTP::SERVER`, `SSH::CLIENT`...), or the protocol for `known_services`. */
  type: string;
  name: string;
  version?: string;
}

/** A device's identity as an industrial protocol reported it (ENIP/CIP list identity, S7 SZL, BACnet I-Am...). */
export interface OtIdentity extends Seen {
  protocol: string;
  vendor?: string;
  product?: string;
  /** Model, order number or device type name. */
  model?: string;
  /** Firmware version or revision. */
  firmware?: string;
  serial?: string;
  /** Device type as the protocol names it (`Communications Adapter`, `device`...). */
  deviceType?: string;
  /** Name the device gives itself (BACnet object name, S7 plant or system name). */
  name?: string;
}

/** Industrial operations a device sent as master, by protocol and class (read, write, program...). */
export interface OtOperations {
  protocol: string;
  class: OperationClass;
  /** Distinct devices it sent them to. */
  peers: number;
  events: number;
  first: number;
  last: number;
}

/** What one pass saw about one address. Every list may be empty. */
export interface AssetObservation {
  ip: string;
  first?: number;
  last?: number;
  macs: MacAddress[];
  hostnames: HostName[];
  spoken: ProtocolUse[];
  served: ProtocolUse[];
  software: Software[];
  ot: OtIdentity[];
  /** Operations sent as master. */
  operations: OtOperations[];
  /** Operations received as outstation (who commands this device). */
  commanded: OtOperations[];
  /** Roles a Zeek log states outright (`known_modbus`: master or slave). */
  declared: Array<{ protocol: string; role: string } & Seen>;
}

export const ASSET_ROLES = [
  'modbus_master',
  'modbus_slave',
  'dnp3_master',
  'dnp3_outstation',
  'engineering_workstation',
  'hmi',
  'historian',
  'plc',
  'ot_device',
  'server',
  'it_host',
] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];

/** One inferred role with how sure it is and the facts that led to it, in words a person can check. */
export interface RoleAssessment {
  role: AssetRole;
  /** 0 to 1. */
  confidence: number;
  evidence: string[];
}

/** Facts the role inference reads: the asset document's content without its bookkeeping. */
export type AssetFacts = Omit<AssetObservation, 'ip' | 'first' | 'last'> & { ip: string; zone?: string; level?: number };

/** One row of the user's own asset list (CSV or JSON export), as the inventory file gives it. */
export interface InventoryEntry {
  /** Row or element number in the file, from 1, for messages. */
  line: number;
  ip?: string;
  mac?: string;
  name?: string;
  vendor?: string;
  product?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  role?: string;
  zone?: string;
  /** The user's own asset tag or id, when the file has one. */
  id?: string;
}

/** How an observed asset compares with the inventory file. */
export interface InventoryComparison {
  /** `inventoried`: the file lists it; `uninventoried`: seen, not listed; `missing`: listed, never seen. */
  status: 'inventoried' | 'uninventoried' | 'missing';
  /** The row that matched (by IP, else by MAC). */
  entry?: InventoryEntry;
  /** Where what was seen differs from what the file says, one sentence each with both values. */
  differences: Array<{ field: 'mac' | 'firmware' | 'vendor' | 'product' | 'model' | 'serial' | 'name' | 'ip'; expected: string; observed: string }>;
}
