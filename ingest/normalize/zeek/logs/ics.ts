/**
 * Industrial protocols (Zeek's own modbus and dnp3 logs and the icsnpp parsers). Their records are single
 * messages: the common endpoint code takes the true direction from `source_h`/`destination_h` or `is_orig`, and
 * here `event.action` names the function (read coils, operate, write property, ...), which is what OT baselines
 * are built on.
 */
import type { EcsDocument } from '../context';
import type { LogMapper, Transport } from '../mapper';
import { ip, str, type ZeekFields } from '../values';
import { NETWORK, PROTOCOL } from './categories';

function ics(protocol: string, transport?: Transport, action?: string, map?: LogMapper['map']): LogMapper {
  return { category: NETWORK, type: PROTOCOL, protocol, transport, action, map };
}

/**
 * Zeek's `modbus` log marks responses with `pdu_type` RESP but gives no other direction: a response travels from
 * the server (responder) to the client.
 */
function mapModbus(f: ZeekFields, doc: EcsDocument): void {
  if (f.pdu_type !== 'RESP' || f.source_h !== undefined || f.is_orig !== undefined) return;
  const source = doc.source;
  doc.source = doc.destination;
  doc.destination = source;
  if (doc.source === undefined) delete doc.source;
  if (doc.destination === undefined) delete doc.destination;
}

/** A `dnp3` record pairs a request with its reply: the request's function names the exchange. */
function mapDnp3(f: ZeekFields, doc: EcsDocument): void {
  const action = str(f.fc_request) ?? str(f.fc_reply);
  if (action !== undefined) doc.event.action = action;
}

function mapKnownModbus(f: ZeekFields, doc: EcsDocument): void {
  const host = ip(f.host);
  if (host !== undefined) doc.host = { ip: host };
}

export const icsMappers: Record<string, LogMapper> = {
  modbus: ics('modbus', 'tcp', 'func', mapModbus),
  modbus_detailed: ics('modbus', 'tcp', 'func'),
  modbus_mask_write_register: ics('modbus', 'tcp', 'func'),
  modbus_read_write_multiple_registers: ics('modbus', 'tcp', 'func'),
  modbus_register_change: ics('modbus', 'tcp'),
  known_modbus: ics('modbus', undefined, undefined, mapKnownModbus),
  // DNP3 runs over TCP and UDP.
  dnp3: ics('dnp3', undefined, undefined, mapDnp3),
  dnp3_control: ics('dnp3', undefined, 'function_code'),
  dnp3_objects: ics('dnp3', undefined, 'function_code'),
  // BACnet/IP, BSAP/IP, PROFINET IO CM (DCE/RPC) and CIP implicit I/O are UDP protocols.
  bacnet: ics('bacnet', 'udp', 'pdu_service'),
  bacnet_discovery: ics('bacnet', 'udp', 'pdu_service'),
  bacnet_property: ics('bacnet', 'udp', 'pdu_service'),
  bacnet_device_control: ics('bacnet', 'udp', 'pdu_service'),
  bsap_ip_header: ics('bsap', 'udp', 'type_name'),
  bsap_ip_rdb: ics('bsap', 'udp', 'func_code'),
  bsap_serial_header: ics('bsap', 'udp', 'type_name'),
  bsap_serial_rdb: ics('bsap', 'udp', 'func_code'),
  // EtherNet/IP explicit messaging runs over TCP and UDP.
  enip: ics('enip', undefined, 'enip_command'),
  cip: ics('cip', undefined, 'cip_service'),
  cip_io: ics('cip', 'udp'),
  cip_identity: ics('cip'),
  // S7comm rides on COTP over TCP (ISO-TSAP, port 102).
  cotp: ics('cotp', 'tcp', 'pdu_name'),
  s7comm: ics('s7comm', 'tcp', 'function_name'),
  s7comm_plus: ics('s7comm_plus', 'tcp', 'function_name'),
  s7comm_read_szl: ics('s7comm', 'tcp', 'method'),
  s7comm_upload_download: ics('s7comm', 'tcp', 'function_name'),
  s7comm_known_devices: ics('s7comm', 'tcp'),
  synchrophasor: ics('synchrophasor'),
  synchrophasor_cfg: ics('synchrophasor', undefined, 'frame_type'),
  synchrophasor_cfg_detail: ics('synchrophasor', undefined, 'frame_type'),
  synchrophasor_cmd: ics('synchrophasor', undefined, 'command'),
  synchrophasor_data: ics('synchrophasor', undefined, 'frame_type'),
  synchrophasor_data_detail: ics('synchrophasor', undefined, 'frame_type'),
  synchrophasor_hdr: ics('synchrophasor', undefined, 'frame_type'),
  ecat_aoe_info: ics('ethercat', undefined, 'cmd'),
  ecat_coe_info: ics('ethercat'),
  ecat_dev_info: ics('ethercat'),
  profinet_io_cm: ics('profinet_io_cm', 'udp'),
};

/**
 * Parsers that write a family of logs whose names share a prefix (22 `opcua_binary_*` logs, `hart_ip_*`, ...):
 * every log of the family, including ones added by later versions, is mapped as the family's protocol.
 */
export const icsFamilies: readonly (readonly [prefix: string, mapper: LogMapper])[] = [
  ['opcua_binary', ics('opcua_binary', 'tcp')],
  ['hart_ip', ics('hart_ip')],
  ['profinet', ics('profinet_io_cm', 'udp')],
  ['synchrophasor', ics('synchrophasor')],
  ['modbus', ics('modbus', 'tcp', 'func')],
  ['dnp3', ics('dnp3')],
  ['bacnet', ics('bacnet', 'udp', 'pdu_service')],
  ['bsap', ics('bsap', 'udp')],
  ['s7comm', ics('s7comm', 'tcp')],
  ['ecat', ics('ethercat')],
  ['cip', ics('cip')],
];
