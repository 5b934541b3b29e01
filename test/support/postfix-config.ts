import path from 'node:path';

/**
 * The configuration of a private Postfix instance that the mail tests start: its main.cf, master.cf and lookup
 * tables, as text. Every path in them lies in the instance's own temporary directory, so that several instances run
 * side by side and none of them reads or writes the system's Postfix files.
 */

/** The mail domains of a test instance, each with its own fate for mail sent to it. */
export const MAIL_DOMAINS = {
  /** Delivered to a maildir by virtual(8); unknown users are rejected at RCPT time. */
  local: 'vigil.test',
  /** Routed to a closed port on loopback, so that mail to it is deferred. */
  unreachable: 'unreachable.test',
  /** Routed to the error(8) transport, so that mail to it is queued, then bounced back to its sender. */
  undeliverable: 'undeliverable.test',
} as const;

export const MAIL_HOSTNAME = `mail.${MAIL_DOMAINS.local}`;

/** Where an instance keeps everything: all of it under `root`. */
export interface PostfixLayout {
  root: string;
  configDir: string;
  queueDir: string;
  dataDir: string;
  /** virtual_mailbox_base: one maildir per user below it. */
  mailboxDir: string;
  logFile: string;
}

export function postfixLayout(root: string): PostfixLayout {
  return {
    root,
    configDir: path.join(root, 'etc'),
    queueDir: path.join(root, 'spool'),
    dataDir: path.join(root, 'data'),
    mailboxDir: path.join(root, 'mailboxes'),
    logFile: path.join(root, 'maillog'),
  };
}

export interface PostfixSite {
  smtpPort: number;
  /** A loopback port nothing listens on: the next hop of the unreachable domain. */
  unreachablePort: number;
  /** Local parts at MAIL_DOMAINS.local that have a mailbox. */
  users: readonly string[];
  /** The owner of delivered mail (virtual(8) refuses to deliver as root). */
  mailboxUid: number;
  mailboxGid: number;
}

/** The files of the configuration directory, by name. */
export function postfixConfigFiles(layout: PostfixLayout, site: PostfixSite): Record<string, string> {
  return {
    'main.cf': mainCf(layout, site),
    'master.cf': masterCf(site),
    virtual_mailboxes: site.users.map((user) => `${user}@${MAIL_DOMAINS.local} ${user}/\n`).join(''),
    transport:
      `${MAIL_DOMAINS.unreachable} smtp:[127.0.0.1]:${site.unreachablePort}\n` +
      `${MAIL_DOMAINS.undeliverable} error:5.1.1 mailbox unavailable\n`,
    recipient_access: `${MAIL_DOMAINS.local} reject_unlisted_recipient\n`,
  };
}

function mainCf(layout: PostfixLayout, site: PostfixSite): string {
  return `# A private instance for the Vigil mail tests; the system's own Postfix is neither used nor needed.
compatibility_level = 3.6
queue_directory = ${layout.queueDir}
data_directory = ${layout.dataDir}

# postlogd (the postlog service in master.cf) writes the log to this file, so no syslog daemon is involved.
# Postfix refuses a maillog_file outside maillog_file_prefixes.
maillog_file = ${layout.logFile}
maillog_file_prefixes = ${layout.root}

myhostname = ${MAIL_HOSTNAME}
mydomain = ${MAIL_DOMAINS.local}
myorigin = $mydomain
# Nothing is for local(8): it would deliver into the system's mail spool. Without local domains the alias and
# local recipient tables have nothing to answer, and the system's defaults (/etc/aliases, NIS) need not exist.
mydestination =
alias_maps =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# No DNS at all: clients are logged as unknown[127.0.0.1], and every next hop is a literal address.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled

virtual_mailbox_domains = ${MAIL_DOMAINS.local}
virtual_mailbox_maps = texthash:$config_directory/virtual_mailboxes
virtual_mailbox_base = ${layout.mailboxDir}
virtual_uid_maps = static:${site.mailboxUid}
virtual_gid_maps = static:${site.mailboxGid}
transport_maps = texthash:$config_directory/transport

# smtpd rejects at RCPT time every address that resolves to the error transport whenever it checks for unlisted
# recipients, which it does for all domains by default. The check is applied to the local domain only, so that mail
# for the undeliverable domain is queued and then bounced with a non-delivery notice, as a remote refusal would be.
smtpd_reject_unlisted_recipient = no
smtpd_recipient_restrictions = check_recipient_access texthash:$config_directory/recipient_access
`;
}

/**
 * The stock services minus those this instance never uses (local delivery, LMTP, TLS, postscreen), with chroot
 * off everywhere: the temporary directory holds no chroot jail. smtpd listens on an explicit loopback port.
 */
function masterCf(site: PostfixSite): string {
  return `# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:${site.smtpPort} inet n - n - - smtpd
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
virtual    unix  -       n       n       -       -       virtual
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
`;
}
