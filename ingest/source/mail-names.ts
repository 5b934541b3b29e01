/**
 * Which files of a directory given to `vigil ingest mail` are mail logs: the names syslog daemons and MTAs use
 * (`mail.log`, `maillog`, `mail.info`, Exim's `mainlog` and `rejectlog`, Dovecot's `dovecot.log`) and their rotated
 * copies (`mail.log.1`, `maillog-20261124`, `mail.log.2.gz`), plus the syslog receiver's buffer files. Files given
 * by name are always read, whatever their name.
 */
export const MAIL_LOG_NAMES: readonly RegExp[] = [
  /^(mail\.log|maillog|mail\.(info|warn|err)|mail|(exim4?[_-]?)?(main|reject)log|exim4?[_-]?(main|reject)\.log|dovecot(-info)?\.log)(\.\d+|-\d{8})?(\.gz)?$/,
  /^syslog-\d{13}-\d{6}\.jsonl$/,
];
