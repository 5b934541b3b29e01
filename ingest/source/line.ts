/** A line as a source hands it to the parser: the bytes and where they came from. */
export interface SourceFile {
  /** Path at the time the file was opened (informational: identity is `key`). */
  path: string;
  /** Stable identity of the file's content, from a fingerprint of its first bytes; survives renames and gzip. */
  key: string;
  /** Log type guessed from the file name (`conn` for `conn.2026-11-24-10-00-00.log.gz`), used when the log has no path. */
  nameHint: string;
  /** Epoch seconds when the file was first seen; a stable fallback time for records whose own `ts` is unusable. */
  firstSeen: number;
}

export interface SourceLine {
  file: SourceFile;
  /** Byte offset of the first byte of the line in the (decompressed) file content. */
  offset: number;
  /** Byte offset just past the line and its newline: committing this offset means the line is done. */
  end: number;
  /** The line without its trailing `\n` (and without a trailing `\r`). */
  bytes: Buffer;
}
