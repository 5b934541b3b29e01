/**
 * What the Zeek parsers (TSV and JSON) produce and the normalizer consumes.
 * Named after Zeek's own vocabulary: a log *path* (`conn`, `modbus_detailed`) and its fields.
 */

/** A Zeek value after type conversion (see `types.ts`). */
export type ZeekValue = string | number | boolean | ZeekValue[];

export interface ZeekRecord {
  /** Zeek log path, e.g. `conn`, `dns`, `modbus_detailed`: from `#path`, `_path`, else the file name. */
  path: string;
  /**
   * Field name exactly as Zeek writes it (dotted names such as `id.orig_h` stay flat) to its typed value.
   * Unset fields (`-` in TSV, absent or null in JSON) are absent. `(empty)` is `''` for strings and `[]` for containers.
   * time -> epoch seconds (number, fractional); interval/double -> number; count/int/port -> number
   * (a decimal string when beyond Number.MAX_SAFE_INTEGER); bool -> boolean; addr/subnet/enum/string/pattern -> string;
   * set[...] / vector[...] -> array of converted elements.
   * Strings are decoded from `\xNN` escapes; when the decoded bytes are not valid UTF-8, or hold control bytes
   * other than \b \f \n \r \t, the escaped form is kept (as Zeek's own JSON writer does), so no byte is lost.
   */
  fields: Record<string, ZeekValue>;
  /** Zeek type per field when the log declares it (TSV `#types`); undefined for JSON. Shared per header block. */
  types?: Readonly<Record<string, string>>;
  /** Columns present in a TSV data line beyond the declared `#fields`, in order (e.g. labels, `_node_name`). */
  extra?: string[];
  /** `#open` of the header block in effect, as epoch seconds, when the log declares a valid one. */
  openTs?: number;
}

/** One parsed line: a record, a header/comment line that carries no event, or a line that could not be parsed. */
export type ParseOutcome =
  | { kind: 'record'; record: ZeekRecord }
  | { kind: 'header' }
  | { kind: 'error'; reason: string };
