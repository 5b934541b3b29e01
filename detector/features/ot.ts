/**
 * Operations of industrial protocols, as Zeek and the CISA ICSNPP analyzers log them, sorted into the few classes the
 * OT model counts (read, write, control, program, diagnostic, other) with the MITRE ATT&CK for ICS technique an
 * unexpected use of each would serve.
 *
 * The ingest worker keeps every record under `zeek.<path>.<field>` and sets ECS `source`/`destination` from the
 * analyzers' `source_h`/`destination_h` (or `is_orig`), i.e. from the message's own direction. A request's `source` is
 * therefore the master (client, HMI, engineering station) and its `destination` the outstation; a reply's are the other
 * way round. `OT_OPERATION_FIELDS` says, per log path, which field names the operation, which names the unit or object
 * it acts on, and how to tell requests from replies where the log says so.
 *
 * Field names and value vocabularies were read from the analyzers' scripts (zeek/zeek base/protocols/{modbus,dnp3};
 * cisagov/icsnpp-{modbus,dnp3,s7comm,enip,bacnet,bsap,opcua-binary,profinet-io-cm,hart-ip,synchrophasor,ethercat})
 * and checked against the `#fields` of the logs those projects publish as test baselines.
 */

export type OperationClass = 'read' | 'write' | 'control' | 'program' | 'diagnostic' | 'other';

export interface OperationClassification {
  class: OperationClass;
  /** One name per operation whatever spelling or number the log used (`read-property-ack` -> `readProperty`). */
  name: string;
  /** MITRE ATT&CK for ICS technique id that an unexpected use of the operation would serve. */
  technique?: string;
  /** The value itself marks a reply or a report from the outstation, not something a master asked for. */
  reply?: true;
}

/** The ATT&CK for ICS techniques this module assigns, with their names, for display. */
export const ATTACK_ICS_TECHNIQUES = {
  T0801: 'Monitor Process State',
  T0804: 'Block Reporting Message',
  T0809: 'Data Destruction',
  T0814: 'Denial of Service',
  T0815: 'Denial of View',
  T0816: 'Device Restart/Shutdown',
  T0836: 'Modify Parameter',
  T0843: 'Program Download',
  T0845: 'Program Upload',
  T0846: 'Remote System Discovery',
  T0855: 'Unauthorized Command Message',
  T0857: 'System Firmware',
  T0858: 'Change Operating Mode',
  T0878: 'Alarm Suppression',
  T0881: 'Service Stop',
  T0888: 'Remote System Information Discovery',
} as const;

type Technique = keyof typeof ATTACK_ICS_TECHNIQUES;

export interface OperationField {
  /** Protocol the path belongs to (several paths may share one). */
  protocol: string;
  /** Field that names the operation (function, service, command). */
  field: string;
  /** Field that names the unit, slave, point or object the operation addresses, where the log has one. */
  unitField?: string;
  /**
   * A finer operation some records carry (Modbus diagnostics sub-function, S7 user-data sub-function or PLC-control
   * service, HART command inside a HART-IP PDU, BACnet device state). Classify it with
   * `classifyOperation(path, value, detailField)`; when it is set and not 'other' it refines the operation's class.
   */
  detailField?: string;
  /** ECS side of a request that the master sends: always `source` (see the module comment). */
  masterSide: 'source';
  /**
   * How to keep only the master's requests, where the log has a field for it: a record is a request when `field`
   * holds one of `values` (strings compare without regard to case). Records without the field are request/reply
   * pairs written once per transaction from the originator's side (Zeek `dnp3`, `opcua_binary`, older
   * `modbus_detailed`), or messages only a master sends (`synchrophasor_cmd`).
   */
  requestWhen?: { field: string; values: readonly (string | boolean)[] };
}

type Entry = Omit<OperationClassification, 'reply'>;
/** Codes (or none), then the operation's name and its aliases, its class and its technique. */
type Row = readonly [
  codes: number | readonly number[] | null,
  names: string | readonly string[],
  cls: OperationClass,
  technique?: Technique,
];

/** Lookup key of a name: case, spaces, punctuation and separators do not matter (`read-property` = `READ_PROPERTY`). */
function key(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** Rows of several operations that share a class (unlike the aliases of one row, which name one operation). */
function each(names: readonly string[], cls: OperationClass, technique?: Technique): Row[] {
  return names.map((name): Row => [null, name, cls, technique]);
}

class Vocabulary {
  private readonly byName = new Map<string, Entry>();
  private readonly byCode = new Map<number, Entry>();

  constructor(rows: readonly Row[]) {
    for (const [codes, names, cls, technique] of rows) {
      const aliases = typeof names === 'string' ? [names] : names;
      const entry: Entry = { class: cls, name: aliases[0] };
      if (technique !== undefined) entry.technique = technique;
      for (const alias of aliases) this.byName.set(key(alias), entry);
      for (const code of codes === null ? [] : typeof codes === 'number' ? [codes] : codes) this.byCode.set(code, entry);
    }
  }

  name(text: string): Entry | undefined {
    return this.byName.get(key(text));
  }

  code(code: number): Entry | undefined {
    return this.byCode.get(code);
  }
}

/** A number, or a decimal or `0x` hex string, as the code it is. */
function codeOf(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  return undefined;
}

/** Zeek's and ICSNPP's name for a code their tables lack: `unknown-100`, `unknown-0x5f`. */
function unknownCode(text: string): number | undefined {
  const match = /^unknown-(0x[0-9a-f]+|\d+)$/i.exec(text.trim());
  return match === null ? undefined : codeOf(match[1]);
}

interface Lookup {
  vocabulary: Vocabulary;
  /** Maps a code to the one the table holds, saying whether it marked a reply (Modbus exceptions, CIP replies). */
  code?: (code: number) => { code: number; reply: boolean };
  /** Removes decorations from a name and says whether they marked a reply. */
  name?: (text: string) => { text: string; reply: boolean };
}

function lookUp(lookup: Lookup, raw: string | number): OperationClassification {
  const other: OperationClassification = { class: 'other', name: String(raw) };
  let entry: Entry | undefined;
  let reply = false;
  const code = codeOf(raw) ?? (typeof raw === 'string' ? unknownCode(raw) : undefined);
  if (code !== undefined) {
    const mapped = lookup.code ? lookup.code(code) : { code, reply: false };
    entry = lookup.vocabulary.code(mapped.code);
    reply = mapped.reply;
  } else if (typeof raw === 'string') {
    const cleaned = lookup.name ? lookup.name(raw) : { text: raw, reply: false };
    entry = lookup.vocabulary.name(cleaned.text);
    reply = cleaned.reply;
  }
  if (entry === undefined) return reply ? { ...other, reply: true } : other;
  return reply ? { ...entry, reply: true } : { ...entry };
}

/** Modbus exceptions and CIP replies: the request's code with the high bit of the byte set. */
function highBitReply(code: number): { code: number; reply: boolean } {
  return code >= 0x80 && code <= 0xff ? { code: code - 0x80, reply: true } : { code, reply: false };
}

/** The key of `text` without the first of `suffixes` it ends with, when something remains. */
function stripSuffix(text: string, suffixes: readonly string[]): { text: string; stripped: boolean } {
  const k = key(text);
  for (const suffix of suffixes) {
    if (k.length > suffix.length && k.endsWith(suffix)) return { text: k.slice(0, -suffix.length), stripped: true };
  }
  return { text, stripped: false };
}

// ---------------------------------------------------------------------------------------------------------------
// Modbus: Zeek's Modbus::function_codes (base/protocols/modbus/consts.zeek); ICSNPP logs the same names.

const MODBUS = new Vocabulary([
  [0x01, 'READ_COILS', 'read', 'T0801'],
  [0x02, 'READ_DISCRETE_INPUTS', 'read', 'T0801'],
  [0x03, 'READ_HOLDING_REGISTERS', 'read', 'T0801'],
  [0x04, 'READ_INPUT_REGISTERS', 'read', 'T0801'],
  // Coils drive outputs: writing one is a command; registers hold set points and parameters.
  [0x05, 'WRITE_SINGLE_COIL', 'write', 'T0855'],
  [0x06, 'WRITE_SINGLE_REGISTER', 'write', 'T0836'],
  [0x07, 'READ_EXCEPTION_STATUS', 'diagnostic'],
  [0x08, 'DIAGNOSTICS', 'diagnostic'],
  [0x0b, 'GET_COMM_EVENT_COUNTER', 'diagnostic'],
  [0x0c, 'GET_COMM_EVENT_LOG', 'diagnostic'],
  [0x0f, 'WRITE_MULTIPLE_COILS', 'write', 'T0855'],
  [0x10, 'WRITE_MULTIPLE_REGISTERS', 'write', 'T0836'],
  [0x11, ['REPORT_SLAVE_ID', 'REPORT_SERVER_ID'], 'diagnostic', 'T0888'],
  [0x14, 'READ_FILE_RECORD', 'read', 'T0801'],
  [0x15, 'WRITE_FILE_RECORD', 'write', 'T0836'],
  [0x16, 'MASK_WRITE_REGISTER', 'write', 'T0836'],
  // Reads too, but what sets it apart from a read is the write.
  [0x17, 'READ_WRITE_MULTIPLE_REGISTERS', 'write', 'T0836'],
  [0x18, 'READ_FIFO_QUEUE', 'read', 'T0801'],
  // Encapsulated interface transport: in practice MEI 14, read device identification.
  [0x2b, ['ENCAP_INTERFACE_TRANSPORT', 'ENCAPSULATED_INTERFACE_TRANSPORT', 'Read Device Identification'], 'diagnostic', 'T0888'],
  [0x5b, 'OBJECT_MESSAGING', 'other'],
  // Programming protocols of Modicon controllers and Schneider Unity (UMAS) ride on these function codes.
  [0x09, 'PROGRAM_484', 'program'],
  [0x0a, 'POLL_484', 'program'],
  [0x0d, 'PROGRAM_584_984', 'program'],
  [0x0e, 'POLL_584_984', 'program'],
  [0x12, 'PROGRAM_884_U84', 'program'],
  [0x13, 'RESET_COMM_LINK_884_U84', 'control'],
  [0x28, 'PROGRAM_CONCEPT', 'program'],
  [0x29, 'MULTIPLE_FUNCTION_CODES', 'other'],
  [0x5a, ['PROGRAM_UNITY', 'UMAS'], 'program'],
  [0x7d, 'FIRMWARE_REPLACEMENT', 'program', 'T0857'],
  [0x7e, 'PROGRAM_584_984_2', 'program'],
  [0x7f, 'REPORT_LOCAL_ADDRESS', 'diagnostic'],
]);

const MODBUS_LOOKUP: Lookup = {
  vocabulary: MODBUS,
  // An exception response carries its request's function code with the high bit set.
  code: highBitReply,
  name: (text) => {
    const match = /^(.*)_EXCEPTION$/i.exec(text.trim());
    return match === null ? { text, reply: false } : { text: match[1], reply: true };
  },
};

/** Sub-functions of Modbus function 8 as icsnpp-modbus names them (scripts/consts.zeek). */
const MODBUS_DIAGNOSTICS = new Vocabulary([
  [0x00, 'Return Query Data', 'diagnostic'],
  [0x01, 'Restart Communications Option', 'control', 'T0816'],
  [0x02, 'Return Diagnostic Register', 'diagnostic'],
  [0x03, 'Change ASCII Input Delimiter', 'write', 'T0836'],
  // The device stops answering until restarted.
  [0x04, 'Force Listen Only Mode', 'control', 'T0814'],
  [0x0a, 'Clear Counters and Diagnostic Register', 'diagnostic'],
  [0x0b, 'Return Bus Message Count', 'diagnostic'],
  [0x0c, 'Return Bus Communication Error Count', 'diagnostic'],
  [0x0d, 'Return Bus Exception Error Count', 'diagnostic'],
  [0x0e, 'Return Server Message Count', 'diagnostic'],
  [0x0f, 'Return Server No Response Count', 'diagnostic'],
  [0x10, 'Return Server NAK Count', 'diagnostic'],
  [0x11, 'Return Server Busy Count', 'diagnostic'],
  [0x12, 'Return Bus Character Overrun Count', 'diagnostic'],
  [0x14, 'Clear Overrun Counter and Flag', 'diagnostic'],
]);

// ---------------------------------------------------------------------------------------------------------------
// DNP3: Zeek's DNP3::function_codes (base/protocols/dnp3/consts.zeek); icsnpp-dnp3 logs the same names.

const DNP3 = new Vocabulary([
  [0x00, 'CONFIRM', 'other'],
  [0x01, 'READ', 'read', 'T0801'],
  [0x02, 'WRITE', 'write', 'T0836'],
  [0x03, 'SELECT', 'control', 'T0855'],
  [0x04, 'OPERATE', 'control', 'T0855'],
  [0x05, 'DIRECT_OPERATE', 'control', 'T0855'],
  [0x06, 'DIRECT_OPERATE_NR', 'control', 'T0855'],
  [0x07, 'IMMED_FREEZE', 'control'],
  [0x08, 'IMMED_FREEZE_NR', 'control'],
  [0x09, 'FREEZE_CLEAR', 'control'],
  [0x0a, 'FREEZE_CLEAR_NR', 'control'],
  [0x0b, 'FREEZE_AT_TIME', 'control'],
  [0x0c, 'FREEZE_AT_TIME_NR', 'control'],
  [0x0d, 'COLD_RESTART', 'control', 'T0816'],
  [0x0e, 'WARM_RESTART', 'control', 'T0816'],
  [0x0f, 'INITIALIZE_DATA', 'control'],
  [0x10, 'INITIALIZE_APPL', 'control'],
  [0x11, 'START_APPL', 'control', 'T0858'],
  [0x12, 'STOP_APPL', 'control', 'T0881'],
  [0x13, 'SAVE_CONFIG', 'write', 'T0836'],
  [0x14, 'ENABLE_UNSOLICITED', 'control'],
  [0x15, 'DISABLE_UNSOLICITED', 'control', 'T0804'],
  [0x16, 'ASSIGN_CLASS', 'write', 'T0836'],
  [0x17, 'DELAY_MEASURE', 'diagnostic'],
  // The first half of setting the outstation's clock.
  [0x18, 'RECORD_CURRENT_TIME', 'write'],
  // File transfer moves configuration and firmware files in either direction.
  [0x19, 'OPEN_FILE', 'program'],
  [0x1a, 'CLOSE_FILE', 'program'],
  [0x1b, 'DELETE_FILE', 'program', 'T0809'],
  [0x1c, 'GET_FILE_INFO', 'program'],
  [0x1d, 'AUTHENTICATE_FILE', 'program'],
  [0x1e, 'ABORT_FILE', 'program'],
  [0x1f, 'ACTIVATE_CONFIG', 'program'],
  [0x20, 'AUTHENTICATE_REQ', 'other'],
  [0x21, ['AUTHENTICATE_REQ_NR', 'AUTHENTICATE_ERR'], 'other'],
]);

/** Replies and unsolicited reports come from the outstation and name no operation of their own. */
const DNP3_REPLY = new Vocabulary([
  [0x81, 'RESPONSE', 'other'],
  [0x82, 'UNSOLICITED_RESPONSE', 'other'],
  [0x83, 'AUTHENTICATE_RESP', 'other'],
]);

function classifyDnp3(raw: string | number): OperationClassification {
  const code = codeOf(raw) ?? (typeof raw === 'string' ? unknownCode(raw) : undefined);
  const reply = code !== undefined ? DNP3_REPLY.code(code) : DNP3_REPLY.name(String(raw));
  return reply === undefined ? lookUp({ vocabulary: DNP3 }, raw) : { ...reply, reply: true };
}

// ---------------------------------------------------------------------------------------------------------------
// S7comm: icsnpp-s7comm scripts/consts.zeek (s7comm_functions, s7comm_userdata_functions and the sub-functions).

const S7COMM_JOB = new Vocabulary([
  [0x00, 'CPU Services', 'diagnostic'],
  [0x04, ['Read Variable', 'Read Var'], 'read', 'T0801'],
  [0x05, ['Write Variable', 'Write Var'], 'write', 'T0836'],
  [0x1a, ['Request Download', 'Start Download'], 'program', 'T0843'],
  [0x1b, ['Download Block', 'Download'], 'program', 'T0843'],
  [0x1c, ['Download Ended', 'End Download'], 'program', 'T0843'],
  [0x1d, 'Start Upload', 'program', 'T0845'],
  [0x1e, 'Upload', 'program', 'T0845'],
  [0x1f, 'End Upload', 'program', 'T0845'],
  // Mostly the PI service that starts the CPU; the sub-function tells the others apart.
  [0x28, 'PLC Control', 'control', 'T0858'],
  [0x29, 'PLC Stop', 'control', 'T0858'],
  // Negotiates the PDU size of the connection.
  [0xf0, ['Setup Communication', 'Setup communication'], 'other'],
]);

/** User-data function groups (the low nibble of the user-data function code). */
const S7COMM_USERDATA = new Vocabulary([
  // The CPU announcing a change of its mode.
  [0x0, 'Mode-Transition', 'diagnostic'],
  [0x1, 'Programmer Controls', 'control'],
  [0x2, 'Cyclic Services', 'read', 'T0801'],
  [0x3, 'Block Functions', 'diagnostic'],
  [0x4, 'CPU Functions', 'diagnostic', 'T0888'],
  [0x5, 'Security', 'other'],
  [0x6, 'PBC BSEND-BRECV', 'write'],
  // Read Clock is the common case; Set Clock shows in the sub-function.
  [0x7, 'Time Functions', 'read'],
  [0xf, 'NC Programming', 'program'],
]);

function classifyS7comm(raw: string | number): OperationClassification {
  const code = codeOf(raw);
  if (code !== undefined) {
    const job = S7COMM_JOB.code(code);
    if (job !== undefined) return { ...job };
    const group = code & 0xf0;
    const userdata = group === 0x40 || group === 0x80 || group === 0x00 ? S7COMM_USERDATA.code(code & 0x0f) : undefined;
    if (userdata === undefined) return { class: 'other', name: String(raw) };
    return group === 0x80 ? { ...userdata, reply: true } : { ...userdata };
  }
  const text = String(raw).trim();
  const prefixed = /^(request|response|push|unknown):\s*(.*)$/i.exec(text);
  if (prefixed !== null) {
    const entry = S7COMM_USERDATA.name(prefixed[2]);
    if (entry === undefined) return { class: 'other', name: text };
    return prefixed[1].toLowerCase() === 'response' ? { ...entry, reply: true } : { ...entry };
  }
  const entry = S7COMM_JOB.name(text) ?? S7COMM_USERDATA.name(text);
  return entry === undefined ? { class: 'other', name: text } : { ...entry };
}

/** User-data sub-functions and PLC-control (PI) services, as `subfunction_name` holds them. */
const S7COMM_SUBFUNCTION = new Vocabulary([
  // Mode transition: notifications of the mode the CPU entered.
  ...each(['Stop', 'Warm Restart', 'Run', 'Hot Restart', 'Hold', 'Cold Restart', 'Run_R', 'Link-Up', 'Update'], 'diagnostic'),
  // Programmer controls.
  [null, 'Block Status', 'read', 'T0801'],
  [null, 'Variable Status', 'read', 'T0801'],
  [null, 'Block Status v2', 'read', 'T0801'],
  ...each(['Output ISTACK', 'Output BSTACK', 'Output LSTACK', 'Read Job List', 'Read Job'], 'read'),
  [null, 'Time Measurement', 'diagnostic'],
  [null, 'Modify Variable', 'write', 'T0836'],
  ...each(['Force', 'Force Selection'], 'control', 'T0855'),
  ...each(['Breakpoint', 'Exit HOLD'], 'control', 'T0858'),
  // Erases the user program.
  [null, 'Memory Reset', 'program', 'T0809'],
  ...each(['Disable Job', 'Enable Job', 'Delete Job', 'Replace Job'], 'control'),
  [null, 'Flash LED', 'diagnostic'],
  // Cyclic services.
  ...each(['Cyclic Transfer', 'Change Driven Transfer', 'Change Driven Transfer Modify', 'RDREC'], 'read', 'T0801'),
  ...each(['Unsubscribe'], 'read'),
  // Block functions.
  ...each(['List Blocks', 'List Blocks of Type', 'Get Block Info'], 'diagnostic'),
  // CPU functions.
  [null, ['Read SZL', 'Read SSL'], 'diagnostic', 'T0888'],
  ...each(['Message Service', 'Diagnostic Message', 'SCAN Indication', 'ALARM_8 Indication', 'NOTIFY Indication'], 'diagnostic'),
  ...each(['ALARM_S Indication', 'ALARM_SQ Indication', 'ALARM ACK Indication', 'ALARM Lock Indication'], 'diagnostic'),
  ...each(['ALARM Unlock Indication', 'NOTIFY_8 Indication'], 'diagnostic'),
  [null, 'ALARM Query', 'read'],
  [null, 'ALARM_8 Lock', 'control', 'T0878'],
  ...each(['ALARM_8 Unlock', 'ALARM ACK'], 'control'),
  // Security.
  [null, 'PLC Password', 'other'],
  // Time functions.
  ...each(['Read Clock', 'Read Clock (Following)'], 'read'),
  ...each(['Set Clock', 'Set Clock (2)'], 'write'),
  // PLC-control (PI) services: the name icsnpp logs, then the service code itself.
  [null, ['PLC Start / Stop', 'P_PROGRAM'], 'control', 'T0858'],
  [null, ['Activates a PLC module', '_INSE', '_INS2'], 'program', 'T0843'],
  [null, ["Removes module from the PLC's passive file system", '_DELE'], 'program', 'T0809'],
  [null, ['PLC Copy Ram to Rom', '_MODU'], 'program'],
  [null, ['Compress PLC memory', '_GARB'], 'control'],
]);

const S7COMM_PLUS = new Vocabulary([
  [0x04bb, 'Explore', 'read'],
  // Opens and closes the session objects of S7comm-plus connections.
  [0x04ca, 'Create Object', 'other'],
  [0x04d4, 'Delete Object', 'other'],
  [0x04f2, 'Set Variable', 'write', 'T0836'],
  [0x0524, 'Get Link', 'read'],
  [0x0542, 'Set Multi Variables', 'write', 'T0836'],
  [0x054c, 'Get Multi Variables', 'read', 'T0801'],
  // Bracket multi-step transactions such as a download.
  [0x0556, 'Begin Sequence', 'program'],
  [0x0560, 'End Sequence', 'program'],
  [0x056b, 'Invoke', 'control', 'T0855'],
  [0x0586, 'Get Variable Sub Streamed', 'read', 'T0801'],
]);

// ---------------------------------------------------------------------------------------------------------------
// CIP and EtherNet/IP: icsnpp-enip scripts/consts.zeek (cip_services, enip_commands).

const CIP = new Vocabulary([
  [0x01, ['Get Attributes All', 'Get_Attributes_All', 'Get Attribute All'], 'read', 'T0801'],
  [0x02, ['Set Attributes All', 'Set_Attributes_All', 'Set Attribute All'], 'write', 'T0836'],
  [0x03, ['Get Attribute List', 'Get_Attribute_List', 'Get Attributes List'], 'read', 'T0801'],
  [0x04, ['Set Attribute List', 'Set_Attribute_List', 'Set Attributes List'], 'write', 'T0836'],
  [0x05, 'Reset', 'control', 'T0816'],
  [0x06, 'Start', 'control', 'T0858'],
  [0x07, 'Stop', 'control', 'T0881'],
  [0x08, 'Create', 'write'],
  [0x09, 'Delete', 'write', 'T0809'],
  // The services it carries are logged one by one.
  [0x0a, ['Multiple Service Packet', 'Multiple_Service_Packet'], 'other'],
  [0x0d, 'Apply Attributes', 'write', 'T0836'],
  [0x0e, ['Get Attributes Single', 'Get_Attribute_Single', 'Get Attribute Single'], 'read', 'T0801'],
  [0x10, ['Set Attributes Single', 'Set_Attribute_Single', 'Set Attribute Single'], 'write', 'T0836'],
  [0x11, 'Find Next Object Instance', 'read'],
  [0x15, 'Restore', 'write', 'T0836'],
  [0x16, 'Save', 'write'],
  [0x17, ['No Operation', 'No Forward Open', 'NOP'], 'other'],
  [0x18, 'Get Member', 'read'],
  [0x19, 'Set Member', 'write', 'T0836'],
  [0x1a, 'Insert Member', 'write'],
  [0x1b, 'Remove Member', 'write'],
  [0x1c, 'Group Sync', 'other'],
  [0x1d, 'Get Connection Point Member List', 'read'],
  // Object-specific codes, under the names icsnpp gives them (those of Logix tag services).
  [0x4b, 'Execute PCCC Service', 'other'],
  [0x4c, ['Read Data', 'Read Tag', 'Read_Tag'], 'read', 'T0801'],
  [0x4d, ['Write Data', 'Write Tag', 'Write_Tag'], 'write', 'T0836'],
  [0x4e, ['Read Write Modify Data', 'Read Modify Write Tag', 'Read_Modify_Write_Tag'], 'write', 'T0836'],
  [0x52, ['Read Data Fragmented', 'Read Tag Fragmented', 'Read_Tag_Fragmented'], 'read', 'T0801'],
  [0x53, ['Write Data Fragmented', 'Write Tag Fragmented', 'Write_Tag_Fragmented'], 'write', 'T0836'],
  // Connection manager: opens and closes the connections other services use.
  [0x54, ['Forward Open', 'Forward_Open'], 'other'],
  ...each(['Large Forward Open', 'Forward Close', 'Unconnected Send', 'Get Connection Data'], 'other'),
]);

const CIP_LOOKUP: Lookup = {
  vocabulary: CIP,
  // A reply carries its request's service code with the high bit set.
  code: highBitReply,
};

const ENIP = new Vocabulary([
  [0x00, 'NOP', 'other'],
  [0x04, 'List Services', 'diagnostic', 'T0888'],
  [0x63, 'List Identity', 'diagnostic', 'T0888'],
  [0x64, 'List Interfaces', 'diagnostic', 'T0888'],
  // Session set-up, and the envelopes whose CIP content cip.log records.
  [0x65, 'Register Session', 'other'],
  [0x66, 'Unregister Session', 'other'],
  [0x6f, 'Send RR Data', 'other'],
  [0x70, 'Send Unit Data', 'other'],
  [0x72, 'Indicate Status', 'other'],
  [0x73, 'Cancel', 'other'],
]);

// ---------------------------------------------------------------------------------------------------------------
// BACnet: confirmed and unconfirmed service choices (ASHRAE 135 clause 21) under their standard names; the logs spell
// them `read_property` (bacnet), `read-property-request`/`-ack` (bacnet_property), `who-is` (bacnet_discovery).

const BACNET = new Vocabulary([
  [0, ['acknowledgeAlarm', 'acknowledge_alarm'], 'control'],
  [1, ['confirmedCOVNotification', 'confirmed_cov_notification'], 'read'],
  [2, ['confirmedEventNotification', 'confirmed_event_notification'], 'read'],
  [3, ['getAlarmSummary', 'get_alarm_summary'], 'read'],
  [4, ['getEnrollmentSummary', 'get_enrollment_summary'], 'read'],
  [5, ['subscribeCOV', 'subscribe_cov'], 'read', 'T0801'],
  // File services back up and restore device configuration and programs.
  [6, ['atomicReadFile', 'atomic_read_file'], 'program', 'T0845'],
  [7, ['atomicWriteFile', 'atomic_write_file'], 'program', 'T0843'],
  [8, ['addListElement', 'add_list_element'], 'write', 'T0836'],
  [9, ['removeListElement', 'remove_list_element'], 'write', 'T0836'],
  [10, ['createObject', 'create_object'], 'write'],
  [11, ['deleteObject', 'delete_object'], 'write', 'T0809'],
  [12, ['readProperty', 'read_property'], 'read', 'T0801'],
  [13, ['readPropertyConditional', 'read_property_conditional'], 'read', 'T0801'],
  [14, ['readPropertyMultiple', 'read_property_multiple'], 'read', 'T0801'],
  [15, ['writeProperty', 'write_property'], 'write', 'T0836'],
  [16, ['writePropertyMultiple', 'write_property_multiple'], 'write', 'T0836'],
  [17, ['deviceCommunicationControl', 'device_communication_control'], 'control', 'T0814'],
  [18, ['confirmedPrivateTransfer', 'confirmed_private_transfer'], 'other'],
  [19, ['confirmedTextMessage', 'confirmed_text_message'], 'other'],
  [20, ['reinitializeDevice', 'reinitialize_device', 'reinitialized_device'], 'control', 'T0816'],
  // A virtual terminal session operates the device from a console.
  [21, ['vtOpen', 'vt_open'], 'control'],
  [22, ['vtClose', 'vt_close'], 'control'],
  [23, ['vtData', 'vt_data'], 'control'],
  [24, ['authenticate'], 'other'],
  [25, ['requestKey', 'request_key'], 'other'],
  [26, ['readRange', 'read_range'], 'read', 'T0801'],
  [27, ['lifeSafetyOperation', 'life_safety_operation'], 'control', 'T0855'],
  [28, ['subscribeCOVProperty', 'subscribe_cov_property'], 'read', 'T0801'],
  [29, ['getEventInformation', 'get_event_information'], 'read'],
  [30, ['subscribeCOVPropertyMultiple', 'subscribe_cov_property_multiple'], 'read', 'T0801'],
  [31, ['confirmedCOVNotificationMultiple', 'confirmed_cov_notification_multiple'], 'read'],
  [null, ['iAm', 'i_am', 'i-am'], 'diagnostic'],
  [null, ['iHave', 'i_have', 'i-have'], 'diagnostic'],
  [null, ['unconfirmedCOVNotification', 'unconfirmed_cov_notification'], 'read'],
  [null, ['unconfirmedEventNotification', 'unconfirmed_event_notification'], 'read'],
  [null, ['unconfirmedPrivateTransfer', 'unconfirmed_private_transfer'], 'other'],
  [null, ['unconfirmedTextMessage', 'unconfirmed_text_message'], 'other'],
  [null, ['timeSynchronization', 'time_synchronization'], 'write'],
  [null, ['whoHas', 'who_has', 'who-has'], 'diagnostic', 'T0846'],
  [null, ['whoIs', 'who_is', 'who-is'], 'diagnostic', 'T0846'],
  [null, ['utcTimeSynchronization', 'utc_time_synchronization'], 'write'],
  [null, ['writeGroup', 'write_group'], 'write', 'T0836'],
  [null, ['unconfirmedCOVNotificationMultiple', 'unconfirmed_cov_notification_multiple'], 'read'],
  [null, ['whoAmI', 'who_am_i'], 'diagnostic'],
  // Assigns a device its identity.
  [null, ['youAre', 'you_are'], 'write', 'T0836'],
  // Network-layer messages (clause 6): routing discovery and tables.
  ...each(['who_is_router_to_network', 'i_am_router_to_network', 'i_could_be_router_to_network'], 'diagnostic'),
  ...each(['what_is_network_number', 'network_number_is'], 'diagnostic'),
  [null, ['initialize_routing_table'], 'write'],
]);

/** Decorations of the BACnet logs: `ERROR: read_property`, `read-property-request`, `read-property-ack`. */
function bacnetName(text: string): { text: string; reply: boolean } {
  const error = /^error:\s*(.*)$/i.exec(text.trim());
  if (error !== null) return { text: error[1], reply: true };
  if (BACNET.name(text) !== undefined) return { text, reply: false };
  const ack = stripSuffix(text, ['ack']);
  if (ack.stripped) return { text: ack.text, reply: true };
  return { text: stripSuffix(text, ['request']).text, reply: false };
}

const BACNET_LOOKUP: Lookup = { vocabulary: BACNET, name: bacnetName };

/** `device_state` of bacnet_device_control: Device-Communication-Control and Reinitialize-Device arguments. */
const BACNET_DEVICE_STATE = new Vocabulary([
  [null, 'enable', 'control'],
  [null, 'disable', 'control', 'T0814'],
  // The device keeps answering but stops reporting on its own.
  [null, ['disable-initiation', 'disable_initiation'], 'control', 'T0804'],
  ...each(['coldstart', 'warmstart'], 'control', 'T0816'),
  ...each(['startbackup', 'endbackup'], 'program', 'T0845'),
  ...each(['startrestore', 'endrestore', 'abortrestore'], 'program', 'T0843'),
  [null, ['activate-changes', 'activate_changes'], 'control'],
]);

// ---------------------------------------------------------------------------------------------------------------
// OPC UA: service request encodings (icsnpp-opcua-binary src/opcua_binary-consts.pac, node_identifier).

/** Request and response encodings of each service (responses mostly follow requests by 3, not always). */
type OpcuaService = readonly [request: number, response: number, name: string, cls: OperationClass, technique?: Technique];
const OPCUA_SERVICES: readonly OpcuaService[] = [
  [422, 425, 'FindServers', 'diagnostic'],
  [12208, 12209, 'FindServersOnNetwork', 'diagnostic'],
  [428, 431, 'GetEndpoints', 'diagnostic'],
  [437, 440, 'RegisterServer', 'diagnostic'],
  [12211, 12212, 'RegisterServer2', 'diagnostic'],
  // Secure channel and session management.
  [446, 449, 'OpenSecureChannel', 'other'],
  [452, 455, 'CloseSecureChannel', 'other'],
  [461, 464, 'CreateSession', 'other'],
  [467, 470, 'ActivateSession', 'other'],
  [473, 476, 'CloseSession', 'other'],
  [479, 482, 'Cancel', 'other'],
  // Changes to the server's address space.
  [488, 491, 'AddNodes', 'write'],
  [494, 497, 'AddReferences', 'write'],
  [500, 503, 'DeleteNodes', 'write', 'T0809'],
  [506, 509, 'DeleteReferences', 'write'],
  [527, 530, 'Browse', 'read'],
  [533, 536, 'BrowseNext', 'read'],
  [554, 557, 'TranslateBrowsePathsToNodeIds', 'read'],
  [560, 563, 'RegisterNodes', 'read'],
  [566, 569, 'UnregisterNodes', 'read'],
  [615, 618, 'QueryFirst', 'read'],
  [621, 624, 'QueryNext', 'read'],
  [631, 634, 'Read', 'read', 'T0801'],
  [664, 667, 'HistoryRead', 'read', 'T0801'],
  [673, 676, 'Write', 'write', 'T0836'],
  [700, 703, 'HistoryUpdate', 'write'],
  // Runs a method on the server.
  [712, 715, 'Call', 'control', 'T0855'],
  // Subscriptions and monitored items deliver process values as they change.
  [751, 754, 'CreateMonitoredItems', 'read', 'T0801'],
  [763, 766, 'ModifyMonitoredItems', 'read'],
  [769, 772, 'SetMonitoringMode', 'read'],
  [775, 778, 'SetTriggering', 'read'],
  [781, 784, 'DeleteMonitoredItems', 'read'],
  [787, 790, 'CreateSubscription', 'read'],
  [793, 796, 'ModifySubscription', 'read'],
  [799, 802, 'SetPublishingMode', 'read'],
  [826, 829, 'Publish', 'read', 'T0801'],
  [832, 835, 'Republish', 'read'],
  [841, 844, 'TransferSubscriptions', 'read'],
  [847, 850, 'DeleteSubscriptions', 'read'],
  [410, 413, 'TestStack', 'diagnostic'],
  [416, 419, 'TestStackEx', 'diagnostic'],
];

const OPCUA = new Vocabulary([
  ...OPCUA_SERVICES.map(([code, , name, cls, technique]): Row => [code, name, cls, technique]),
  [397, 'ServiceFault', 'other'],
]);
const OPCUA_RESPONSE_CODES = new Map(OPCUA_SERVICES.map(([code, response]) => [response, code]));

function classifyOpcua(raw: string | number): OperationClassification {
  const code = codeOf(raw);
  if (code !== undefined) {
    const request = OPCUA_RESPONSE_CODES.get(code);
    const entry = OPCUA.code(request ?? code);
    if (entry === undefined) return { class: 'other', name: String(raw) };
    return request === undefined ? { ...entry } : { ...entry, reply: true };
  }
  const text = String(raw);
  const response = stripSuffix(text, ['response']);
  const request = response.stripped ? response : stripSuffix(text, ['request']);
  const entry = OPCUA.name(request.text);
  if (entry === undefined) return { class: 'other', name: text };
  return response.stripped ? { ...entry, reply: true } : { ...entry };
}

// ---------------------------------------------------------------------------------------------------------------
// PROFINET IO context manager: DCE/RPC operation numbers of the PNIO interface (IEC 61158-6-10).

const PROFINET = new Vocabulary([
  // Connect sets up the application relation that gives a controller the device's outputs.
  [0, 'Connect', 'control'],
  [1, 'Release', 'control'],
  [2, 'Read', 'read', 'T0801'],
  [3, 'Write', 'write', 'T0836'],
  [4, 'Control', 'control'],
  [5, 'Read Implicit', 'read', 'T0801'],
]);

// ---------------------------------------------------------------------------------------------------------------
// HART-IP: message ids of the HART-IP header, and HART commands (icsnpp-hart-ip analyzer/hart_ip_enum.spicy).

const HART_IP_MESSAGE = new Vocabulary([
  // Session handling, and the envelopes whose HART command is logged in its own field.
  [0, 'Session Initiate', 'other'],
  [1, 'Session Close', 'other'],
  [2, 'Keep Alive', 'other'],
  [3, 'Token Passing PDU', 'other'],
  [4, 'Direct PDU', 'other'],
  [5, 'Read Audit Log', 'diagnostic'],
]);

const HART_COMMAND = new Vocabulary([
  [0, 'Read Unique Identifier', 'diagnostic', 'T0888'],
  [1, 'Read Primary Variable', 'read', 'T0801'],
  [2, 'Read Loop Current', 'read', 'T0801'],
  [3, 'Read Dynamic Variable', 'read', 'T0801'],
  [6, 'Write Polling Address', 'write', 'T0836'],
  [7, 'Read Loop Configuration', 'read'],
  [8, 'Read Dynamic Variable Classifications', 'read'],
  [9, 'Read Device Variable', 'read', 'T0801'],
  [11, 'Read Unique Identifier Tag', 'diagnostic', 'T0888'],
  [12, 'Read Message', 'read'],
  [13, 'Read Tag', 'read'],
  [14, 'Read Primary Variable Transducer Information', 'read'],
  [15, 'Read Device Information', 'diagnostic', 'T0888'],
  [16, 'Read Final Assembly Number', 'read'],
  [17, 'Write Message', 'write', 'T0836'],
  [18, 'Write Tag Descriptor Date', 'write', 'T0836'],
  [19, 'Write Final Assembly Number', 'write', 'T0836'],
  [20, 'Read Long Tag', 'read'],
  [21, 'Read Unique Identifier Long Tag', 'diagnostic', 'T0888'],
  [22, 'Write Long Tag', 'write', 'T0836'],
  [33, 'Read Device Variables', 'read', 'T0801'],
  [34, 'Write Primary Variable Damping Value', 'write', 'T0836'],
  [35, 'Write Primary Variable Range Values', 'write', 'T0836'],
  [36, 'Set Primary Variable Upper Range Value', 'write', 'T0836'],
  [37, 'Set Primary Variable Lower Range Value', 'write', 'T0836'],
  [38, 'Reset Configuration Changed Flag', 'write'],
  [39, ['EEPROM Control', 'EEPROM Control Object'], 'write', 'T0836'],
  // Fixed current mode drives the loop output to a chosen value.
  [40, 'Enter/Exit Fixed Current Mode', 'control', 'T0855'],
  [41, 'Perform Self-Test', 'diagnostic'],
  [42, 'Perform Device Reset', 'control', 'T0816'],
  [43, 'Set Primary Variable Zero', 'write', 'T0836'],
  [44, 'Write Primary Variable Units', 'write', 'T0836'],
  [45, 'Trim Loop Current Zero', 'write', 'T0836'],
  [46, 'Trim Loop Current Gain', 'write', 'T0836'],
  [47, 'Write Primary Variable Transfer Function', 'write', 'T0836'],
  [48, 'Read Additional Device Status', 'diagnostic'],
  [49, 'Write Primary Variable Transducer Serial Number', 'write', 'T0836'],
  [50, 'Read Dynamic Variable Assignments', 'read'],
  [51, 'Write Dynamic Variable Assignments', 'write', 'T0836'],
  [52, 'Set Device Variable Zero', 'write', 'T0836'],
  [53, 'Write Device Variable Units', 'write', 'T0836'],
  [54, 'Read Device Variable Information', 'read'],
  [55, 'Write Device Variable Damping Value', 'write', 'T0836'],
  [56, ['Write Device Variable Transducer Serial No.', 'Write Device Variable Transducer Serial Number'], 'write', 'T0836'],
  // icsnpp logs command 58 under the name of 57.
  [57, ['Read Unit Tag, Descriptor, Date', 'Read Unit Tag Descriptor Date'], 'read'],
  [58, ['Write Unit Tag, Descriptor, Date', 'Write Unit Tag Descriptor Date'], 'write', 'T0836'],
  [59, 'Write Number of Response Preambles', 'write', 'T0836'],
  [60, 'Read Analog Channel and Percent of Range', 'read', 'T0801'],
  [61, 'Read Dynamic Variables and Primary Variable Analog Channel', 'read', 'T0801'],
  [62, 'Read Analog Channels', 'read', 'T0801'],
  [63, 'Read Analog Channel Information', 'read'],
  [64, 'Write Analog Channel Additional Damping Value', 'write', 'T0836'],
  [65, 'Write Analog Channel Range Values', 'write', 'T0836'],
  [66, 'Enter/Exit Fixed Analog Channel Mode', 'control', 'T0855'],
  [67, 'Trim Analog Channel Zero', 'write', 'T0836'],
  [68, 'Trim Analog Channel Gain', 'write', 'T0836'],
  [69, 'Write Analog Channel Transfer Function', 'write', 'T0836'],
  [70, 'Read Analog Channel Endpoint Values', 'read'],
  [71, 'Lock Device', 'control'],
  [72, 'Squawk', 'diagnostic'],
  [73, 'Find Device', 'diagnostic', 'T0846'],
  [74, 'Read I/O System Capabilities', 'diagnostic', 'T0888'],
  [75, ['Poll Sub-Device', 'Pull Sub-Device'], 'read'],
  [76, 'Read Lock Device State', 'read'],
  // Carries another command to a sub-device; that command is the operation.
  [77, 'Send Command to Sub-Device', 'other'],
  [78, 'Read Aggregated Commands', 'read', 'T0801'],
  [79, 'Write Device Variable', 'write', 'T0836'],
  [80, 'Read Device Variable Trim Points', 'read'],
  [81, 'Read Device Variable Trim Guidelines', 'read'],
  // icsnpp logs command 83 under the name of 82.
  [82, 'Write Device Variable Trim Point', 'write', 'T0836'],
  [83, 'Reset Device Variable Trim', 'write', 'T0836'],
  [84, 'Read Sub-Device Identity Summary', 'diagnostic', 'T0888'],
  [85, 'Read I/O Channel Statistics', 'diagnostic'],
  [86, 'Read Sub-Device Statistics', 'diagnostic'],
  [87, 'Write I/O System Master Mode', 'write', 'T0836'],
  [88, 'Write I/O System Retry Count', 'write', 'T0836'],
  [89, 'Set Real-Time Clock', 'write'],
  // Common-practice commands icsnpp names only by number (`unknown-0x5f`).
  [95, 'Read Device Communications Statistics', 'diagnostic'],
  [103, 'Write Burst Period', 'write', 'T0836'],
  [104, 'Write Burst Trigger', 'write', 'T0836'],
  [105, 'Read Burst Mode Configuration', 'read'],
  [107, 'Write Burst Device Variables', 'write', 'T0836'],
  [108, 'Write Burst Mode Command Number', 'write', 'T0836'],
  [109, 'Burst Mode Control', 'write', 'T0836'],
  [532, 'Read Client Subscription Summary', 'read'],
  [533, 'Write Client Subscription Flags', 'write', 'T0836'],
  [534, 'Read Device Variable Command Code', 'read'],
]);

// ---------------------------------------------------------------------------------------------------------------
// IEEE C37.118 synchrophasor commands (icsnpp-synchrophasor COMMAND_CODES_STRINGS).

const SYNCHROPHASOR_COMMAND = new Vocabulary([
  // Stops the measurements the operators see.
  [1, 'Data off', 'control', 'T0815'],
  [2, 'Data on', 'control'],
  [3, 'Send HDR', 'read'],
  [4, 'Send CFG-1', 'read'],
  [5, 'Send CFG-2', 'read'],
  [6, 'Send CFG-3', 'read'],
  [8, 'Extended frame', 'other'],
]);

// ---------------------------------------------------------------------------------------------------------------
// BSAP remote database access (icsnpp-bsap scripts/consts.zeek rdb_functions); replies are the request + 0x50, `RSP_`.

const BSAP_RDB = new Vocabulary([
  [0x00, 'READ_SIGNAL_BY_ADDRESS', 'read', 'T0801'],
  [0x02, 'READ_LOGICAL_BY_ADDRESS', 'read', 'T0801'],
  [0x04, 'READ_SIGNAL_BY_NAME', 'read', 'T0801'],
  [0x06, 'READ_LOGICAL_BY_NAME', 'read', 'T0801'],
  [0x0c, 'READ_SIGNAL_BY_LIST_START', 'read', 'T0801'],
  [0x0d, 'READ_SIGNAL_BY_LIST_CONTINUE', 'read', 'T0801'],
  [0x0e, 'READ_LOGICAL_BY_LIST_START', 'read', 'T0801'],
  [0x0f, 'READ_LOGICAL_BY_LIST_CONTINUE', 'read', 'T0801'],
  [0x80, 'WRITE_SIGNAL_BY_ADDRESS', 'write', 'T0836'],
  [0x84, 'WRITE_SIGNAL_BY_NAME', 'write', 'T0836'],
  [0x8c, 'WRITE_SIGNAL_BY_LIST_START', 'write', 'T0836'],
  [0x8d, 'WRITE_SIGNAL_BY_LIST_CONTINUE', 'write', 'T0836'],
]);

function classifyBsap(raw: string | number): OperationClassification {
  const code = codeOf(raw);
  if (code !== undefined) {
    const direct = BSAP_RDB.code(code);
    if (direct !== undefined) return { ...direct };
    const request = BSAP_RDB.code(code - 0x50);
    return request === undefined ? { class: 'other', name: String(raw) } : { ...request, reply: true };
  }
  const text = String(raw).trim();
  const rsp = /^RSP_(.*)$/i.exec(text);
  const entry = BSAP_RDB.name(rsp === null ? text : rsp[1]);
  if (entry === undefined) return { class: 'other', name: text };
  return rsp === null ? { ...entry } : { ...entry, reply: true };
}

// ---------------------------------------------------------------------------------------------------------------
// EtherCAT ADS over EtherCAT commands (icsnpp-ethercat Ecat_AoE_Cmd).

const ECAT_AOE = new Vocabulary([
  [0x0, 'NOP', 'other'],
  [0x1, 'ADS Read Device Info', 'diagnostic', 'T0888'],
  [0x2, 'ADS Read', 'read', 'T0801'],
  [0x3, 'ADS Write', 'write', 'T0836'],
  [0x4, 'ADS Read State', 'diagnostic'],
  // Sets the ADS state of the target: run, stop, reset.
  [0x5, 'ADS Write Control', 'control', 'T0858'],
  [0x6, 'ADS Add Device Notification', 'read', 'T0801'],
  [0x7, 'ADS Delete Device Notification', 'read'],
  [0x8, 'ADS Device Notification', 'read', 'T0801'],
  [0x9, 'ADS Read Write', 'write', 'T0836'],
]);

// ---------------------------------------------------------------------------------------------------------------

const request = (field: string, ...values: (string | boolean)[]): OperationField['requestWhen'] => ({ field, values });
const FROM_ORIGINATOR = request('is_orig', true);
const MODBUS_REQUEST = request('request_response', 'REQUEST');

type OperationDetails = Pick<OperationField, 'unitField' | 'detailField' | 'requestWhen'>;

function operation(protocol: string, field: string, more: OperationDetails = {}): OperationField {
  return { protocol, field, ...more, masterSide: 'source' };
}

/**
 * The operation field of each industrial log path. Paths of the same analyzers that carry no operation (`cotp`,
 * `cip_io`, `cip_identity`, `s7comm_known_devices`, `bsap_*_header`, the `opcua_binary_*` detail logs,
 * `hart_ip_session_record`, `synchrophasor_*` data and configuration frames) are industrial (`isIndustrialPath`)
 * but absent here.
 */
export const OT_OPERATION_FIELDS: Readonly<Record<string, Readonly<OperationField>>> = {
  // Zeek ≥ 6 logs `pdu_type` and `unit`; earlier releases logged one record per transaction without them.
  modbus: operation('modbus', 'func', { unitField: 'unit', requestWhen: request('pdu_type', 'REQ') }),
  modbus_detailed: operation('modbus', 'func', {
    unitField: 'unit',
    detailField: 'request_subfunction_code',
    requestWhen: MODBUS_REQUEST,
  }),
  modbus_mask_write_register: operation('modbus', 'func', { unitField: 'unit', requestWhen: MODBUS_REQUEST }),
  modbus_read_write_multiple_registers: operation('modbus', 'func', { unitField: 'unit', requestWhen: MODBUS_REQUEST }),
  modbus_read_device_identification: operation('modbus', 'func', { unitField: 'unit', requestWhen: MODBUS_REQUEST }),
  // One record per request and its reply; DNP3 outstation addresses are not logged.
  dnp3: operation('dnp3', 'fc_request'),
  dnp3_control: operation('dnp3', 'function_code', { unitField: 'index_number', requestWhen: FROM_ORIGINATOR }),
  dnp3_objects: operation('dnp3', 'function_code', { unitField: 'object_type', requestWhen: FROM_ORIGINATOR }),
  s7comm: operation('s7comm', 'function_name', { detailField: 'subfunction_name', requestWhen: FROM_ORIGINATOR }),
  s7comm_plus: operation('s7comm_plus', 'function_name', { requestWhen: request('opcode_name', 'Request') }),
  s7comm_upload_download: operation('s7comm', 'function_name', {
    unitField: 'filename',
    requestWhen: request('rosctr', 'Job-Request'),
  }),
  // Every record is a Read SZL; the field says which system status list was read.
  s7comm_read_szl: operation('s7comm', 'szl_id_name', { requestWhen: request('method', 'Request') }),
  cip: operation('cip', 'cip_service', { unitField: 'class_name', requestWhen: request('direction', 'request') }),
  enip: operation('enip', 'enip_command', { requestWhen: FROM_ORIGINATOR }),
  // Over UDP the originator is whoever spoke first, so the PDU type says what is a request.
  bacnet: operation('bacnet', 'pdu_service', { requestWhen: request('pdu_type', 'CONFIRMED_REQUEST', 'UNCONFIRMED_REQUEST') }),
  // Replies are marked in the value itself (`-ack`, `ERROR:`): see `reply`.
  bacnet_property: operation('bacnet', 'pdu_service', { unitField: 'object_type' }),
  bacnet_discovery: operation('bacnet', 'pdu_service'),
  bacnet_device_control: operation('bacnet', 'pdu_service', { detailField: 'device_state', requestWhen: FROM_ORIGINATOR }),
  bsap_ip_rdb: operation('bsap', 'func_code', { requestWhen: FROM_ORIGINATOR }),
  bsap_serial_rdb: operation('bsap', 'func_code', { requestWhen: FROM_ORIGINATOR }),
  // One record per request and its response; the response's service is `res_identifier_str`.
  opcua_binary: operation('opcua', 'req_identifier_str'),
  // PROFINET devices send requests too (ApplicationReady is a Control request to the controller).
  profinet_io_cm: operation('profinet', 'operation_num', { requestWhen: request('packet_type', 'Request') }),
  hart_ip_general: operation('hart_ip', 'header_message_id', {
    detailField: 'token_passing_pdu_command_number',
    requestWhen: request('header_message_type_message_type', 'Request'),
  }),
  hart_ip_direct_pdu_command: operation('hart_ip', 'direct_pdu_command_command_number'),
  // Only a phasor data concentrator sends commands.
  synchrophasor_cmd: operation('synchrophasor', 'command'),
  // Layer-2 protocol: the records carry EtherCAT and AMS addresses, no IP.
  ecat_aoe_info: operation('ethercat', 'cmd', { unitField: 'targetid' }),
};

type Classifier = (raw: string | number) => OperationClassification;

const byLookup =
  (lookup: Lookup): Classifier =>
  (raw) =>
    lookUp(lookup, raw);
const byVocabulary = (vocabulary: Vocabulary): Classifier => byLookup({ vocabulary });

const READ_SZL: Classifier = (raw) =>
  String(raw).trim() === ''
    ? { class: 'other', name: String(raw) }
    : { class: 'diagnostic', name: 'Read SZL', technique: 'T0888' };

const MODBUS_CLASSIFIER = byLookup(MODBUS_LOOKUP);
const BACNET_CLASSIFIER = byLookup(BACNET_LOOKUP);
const HART_COMMAND_CLASSIFIER = byVocabulary(HART_COMMAND);
const S7COMM_SUBFUNCTION_CLASSIFIER = byVocabulary(S7COMM_SUBFUNCTION);

/** Classifier of each path's operation field, and of its detail field where it has one. */
const CLASSIFIERS: Readonly<Record<string, { field: Classifier; detail?: Classifier }>> = {
  modbus: { field: MODBUS_CLASSIFIER },
  modbus_detailed: { field: MODBUS_CLASSIFIER, detail: byVocabulary(MODBUS_DIAGNOSTICS) },
  modbus_mask_write_register: { field: MODBUS_CLASSIFIER },
  modbus_read_write_multiple_registers: { field: MODBUS_CLASSIFIER },
  modbus_read_device_identification: { field: MODBUS_CLASSIFIER },
  dnp3: { field: classifyDnp3 },
  dnp3_control: { field: classifyDnp3 },
  dnp3_objects: { field: classifyDnp3 },
  s7comm: { field: classifyS7comm, detail: S7COMM_SUBFUNCTION_CLASSIFIER },
  s7comm_plus: { field: byVocabulary(S7COMM_PLUS) },
  s7comm_upload_download: { field: classifyS7comm },
  s7comm_read_szl: { field: READ_SZL },
  cip: { field: byLookup(CIP_LOOKUP) },
  enip: { field: byVocabulary(ENIP) },
  bacnet: { field: BACNET_CLASSIFIER },
  bacnet_property: { field: BACNET_CLASSIFIER },
  bacnet_discovery: { field: BACNET_CLASSIFIER },
  bacnet_device_control: { field: BACNET_CLASSIFIER, detail: byVocabulary(BACNET_DEVICE_STATE) },
  bsap_ip_rdb: { field: classifyBsap },
  bsap_serial_rdb: { field: classifyBsap },
  opcua_binary: { field: classifyOpcua },
  profinet_io_cm: { field: byVocabulary(PROFINET) },
  hart_ip_general: { field: byVocabulary(HART_IP_MESSAGE), detail: HART_COMMAND_CLASSIFIER },
  hart_ip_direct_pdu_command: { field: HART_COMMAND_CLASSIFIER },
  synchrophasor_cmd: { field: byVocabulary(SYNCHROPHASOR_COMMAND) },
  ecat_aoe_info: { field: byVocabulary(ECAT_AOE) },
};

/**
 * The class of an operation value of log `path` (`modbus`, `dnp3_control`, ...), taken from its operation field, or
 * from `field` when that is the path's `detailField`. Names and numbers (`READ_COILS`, `1`, `0x01`, `unknown-1`) are
 * both understood, without regard to case or separators; a value nobody defined is 'other' under its own name.
 */
export function classifyOperation(path: string, value: string | number, field?: string): OperationClassification {
  const classifiers = CLASSIFIERS[path];
  if (classifiers === undefined) return { class: 'other', name: String(value) };
  const detail = field !== undefined && field === OT_OPERATION_FIELDS[path]?.detailField ? classifiers.detail : undefined;
  return (detail ?? classifiers.field)(value);
}

/**
 * Log paths written by industrial protocol analyzers (Zeek's and ICSNPP's), operation or not. Prefixes, because
 * the analyzers add logs from release to release (`modbus_read_device_identification`, `opcua_binary_*`).
 */
const INDUSTRIAL_PATH_PREFIXES = [
  ...['modbus', 'known_modbus', 'dnp3', 's7comm', 'cotp', 'cip', 'enip', 'bacnet', 'bsap', 'ecat', 'hart_ip', 'opcua_binary'],
  ...['profinet', 'synchrophasor', 'iec104', 'iec61850', 'goose', 'mms', 'genisys', 'ge_srtp', 'omron_fins', 'c1222', 'roc_plus'],
];
const INDUSTRIAL_PATH = new RegExp(`^(${INDUSTRIAL_PATH_PREFIXES.join('|')})(_|$)`);

export function isIndustrialPath(path: string): boolean {
  return INDUSTRIAL_PATH.test(path);
}

/**
 * Whether a conn.log `service` (one name, a comma-separated list or Zeek's set) names an industrial analyzer:
 * `modbus`, `dnp3_tcp`, `cotp,s7comm`, `opcua-binary`, `spicy_profinet_io_cm`, `synchrophasor_udp`, ...
 */
export function isIndustrialService(service: string | readonly string[]): boolean {
  const names = typeof service === 'string' ? service.split(',') : service;
  return names.some((name) => isIndustrialPath(name.trim().toLowerCase().replace(/^spicy_/, '').replace(/-/g, '_')));
}

export interface IndustrialPort {
  transport: 'tcp' | 'udp';
  port: number;
  protocol: string;
  /** Also the default of common IT software, so the port alone is weak evidence of the protocol. */
  shared?: true;
}

type Transport = IndustrialPort['transport'];

function ports(protocol: string, transports: readonly Transport[], numbers: readonly number[], shared = false): IndustrialPort[] {
  return transports.flatMap((transport) =>
    numbers.map((port): IndustrialPort => (shared ? { transport, port, protocol, shared: true } : { transport, port, protocol })),
  );
}

/**
 * Registered or customary ports of industrial protocols, for spotting an IT device that speaks one in conn logs
 * (`conn.service` tells for the protocols Zeek recognizes; the port is what is left for the others).
 */
export const INDUSTRIAL_PORTS: readonly IndustrialPort[] = [
  ...ports('modbus', ['tcp', 'udp'], [502]),
  ...ports('modbus_tls', ['tcp'], [802]),
  // Also Usermin's default port.
  ...ports('dnp3', ['tcp', 'udp'], [20000], true),
  ...ports('dnp3_secure', ['tcp', 'udp'], [19999]),
  // ISO-TSAP: S7comm, S7comm-plus and IEC 61850 MMS.
  ...ports('iso_tsap', ['tcp'], [102]),
  ...ports('enip', ['tcp', 'udp'], [44818]),
  ...ports('enip_io', ['udp'], [2222]),
  ...ports('bacnet', ['udp'], [47808]),
  ...ports('opcua', ['tcp'], [4840, 4843]),
  ...ports('iec104', ['tcp'], [2404]),
  ...ports('profinet', ['tcp', 'udp'], [34962, 34963, 34964]),
  ...ports('hart_ip', ['tcp', 'udp'], [5094]),
  ...ports('synchrophasor', ['tcp'], [4712]),
  ...ports('synchrophasor', ['udp'], [4712, 4713]),
  // BSAPIPDRV defaults; 1234 is also the default of many unrelated programs.
  ...ports('bsap', ['udp'], [1234], true),
  ...ports('bsap', ['udp'], [1235]),
  ...ports('ethercat', ['udp'], [34980]),
  ...ports('ads', ['tcp'], [48898]),
  ...ports('ads', ['udp'], [48899]),
  // Also Logstash's API port.
  ...ports('omron_fins', ['tcp', 'udp'], [9600], true),
  ...ports('ge_srtp', ['tcp'], [18245, 18246]),
  ...ports('foundation_fieldbus_hse', ['tcp', 'udp'], [1089, 1090, 1091]),
  ...ports('niagara_fox', ['tcp'], [1911, 4911]),
  ...ports('codesys', ['tcp'], [1217, 2455]),
  ...ports('pcworx', ['tcp'], [1962]),
  ...ports('proconos', ['tcp'], [20547]),
  ...ports('melsec', ['tcp'], [5006]),
  ...ports('melsec', ['udp'], [5007]),
  ...ports('tristation', ['udp'], [1502]),
  ...ports('crimson', ['tcp'], [789]),
];

const PORT_INDEX = new Map(INDUSTRIAL_PORTS.map((p) => [`${p.transport}/${p.port}`, p]));

/** The industrial port entry for a transport (`tcp`, `udp`, as conn.log `proto` says) and port, if any. */
export function industrialPort(transport: string, port: number): IndustrialPort | undefined {
  return PORT_INDEX.get(`${transport.toLowerCase()}/${port}`);
}
