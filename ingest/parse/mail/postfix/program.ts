/**
 * Postfix writes its syslog tag as `syslog_name/process`: `postfix/smtpd`, or `postfix/10025/smtpd` and
 * `postfix/submission/smtpd` when a master.cf service sets `-o syslog_name=postfix/10025`, or `postfix-out/smtp`
 * for a second instance made with postmulti. The process name is always the last segment; everything before it is
 * the syslog name, which is what tells instances apart.
 */

export interface PostfixProgram {
  /** The syslog name: `postfix`, `postfix/10025`, `postfix-out`. */
  instance: string;
  /** The Postfix process: `smtpd`, `qmgr`, `cleanup`, `smtp`... Unset for a bare syslog name. */
  daemon?: string;
}

/**
 * The instance and daemon of a program name whose first segment starts with `postfix`, or undefined for any
 * other program. A bare `postfix` (no process segment) is Postfix's own command line tools logging without one.
 */
export function postfixProgram(program: string): PostfixProgram | undefined {
  if (!program.startsWith('postfix')) return undefined;
  const slash = program.lastIndexOf('/');
  if (slash < 0) return { instance: program };
  if (slash === program.length - 1) return undefined;
  return { instance: program.slice(0, slash), daemon: program.slice(slash + 1) };
}
