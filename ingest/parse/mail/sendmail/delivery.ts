/**
 * `to=<rcpt>, ctladdr=<sender> (uid/gid), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=122788,
 * relay=mx.example. [192.0.2.1], dsn=2.0.0, stat=Sent (ok queued as 4F2A)`: one delivery attempt, the fields in the
 * order of `logdelivery()` in Sendmail's deliver.c. `delay` counts from the message's arrival, `xdelay` this attempt.
 */
import { unwrapAddress } from '../address';
import { isAlphanumeric } from '../chars';
import type { DeliveryStatus, MailEvent } from '../types';
import { readRelay, relayExtra } from './relay';

/** `00:00:01`, or `2+03:04:05` past a day, in seconds. */
function sendmailDelay(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const plus = value.indexOf('+');
  const days = plus < 0 ? 0 : Number(value.slice(0, plus));
  const parts = value.slice(plus + 1).split(':');
  if (parts.length !== 3) return undefined;
  const seconds = days * 86400 + Number(parts[0]) * 3600 + Number(parts[1]) * 60 + Number(parts[2]);
  return Number.isNaN(seconds) ? undefined : seconds;
}

/**
 * The outcome from `dsn=` when there is one (its class: 2 delivered, 4 will be retried, 5 given up), otherwise
 * from `stat=`'s first word. `stat=queued` (delivery left to a queue run) is no outcome yet.
 */
function statusOf(stat: string, dsn: string | undefined): DeliveryStatus | undefined {
  if (stat.startsWith('queued')) return undefined;
  const dsnClass = dsn?.charCodeAt(0);
  if (dsnClass === 0x32) return 'sent';
  if (dsnClass === 0x34) return 'deferred';
  if (dsnClass === 0x35) return 'bounced';
  if (stat.startsWith('Sent')) return 'sent';
  if (stat.startsWith('Deferred')) return 'deferred';
  return 'bounced';
}

/** What the next hop said: the text in parentheses after `Sent`, after `Deferred: `, or the whole status. */
function statusTextOf(stat: string): string {
  if (stat.startsWith('Sent (') && stat.endsWith(')')) return stat.slice(6, -1);
  if (stat.startsWith('Deferred: ')) return stat.slice(10);
  return stat;
}

/** `250 2.0.0 Ok: queued as 4F2A` (Postfix), `p2SCOud4012385 Message accepted for delivery` (Sendmail). */
function nextQueueIdOf(text: string): string | undefined {
  const queuedAs = text.indexOf('queued as ');
  if (queuedAs >= 0) {
    const start = queuedAs + 10;
    let end = start;
    while (end < text.length && isAlphanumeric(text.charCodeAt(end))) end++;
    return end > start ? text.slice(start, end) : undefined;
  }
  const accepted = text.indexOf(' Message accepted for delivery');
  if (accepted > 0 && text.lastIndexOf(' ', accepted - 1) < 0) return text.slice(0, accepted);
  return undefined;
}

export function parseDelivery(values: Record<string, string>): MailEvent {
  const event: MailEvent = { mta: 'sendmail', action: 'delivery', category: ['email'] };
  const to = values.to;
  // `to=a@x,b@y`: one attempt for several recipients of the same mailer and host.
  const comma = to.indexOf(',');
  if (comma < 0) event.to = unwrapAddress(to);
  else {
    event.to = unwrapAddress(to.slice(0, comma));
    event.recipientCount = to.split(',').length;
    (event.extra ??= {}).recipients = to;
  }
  const delay = sendmailDelay(values.delay);
  if (delay !== undefined) event.delay = delay;
  if (values.dsn !== undefined) event.dsn = values.dsn;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    event.relay = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  const stat = values.stat;
  if (stat !== undefined) {
    const status = statusOf(stat, values.dsn);
    if (status !== undefined) {
      event.status = status;
      event.outcome = status === 'sent' ? 'success' : 'failure';
    }
    event.statusText = statusTextOf(stat);
    const next = status === 'sent' ? nextQueueIdOf(event.statusText) : undefined;
    if (next !== undefined) event.nextQueueId = next;
  }
  if (values.ctladdr !== undefined) (event.extra ??= {}).ctladdr = values.ctladdr;
  if (values.mailer !== undefined) (event.extra ??= {}).mailer = values.mailer;
  const xdelay = sendmailDelay(values.xdelay);
  if (xdelay !== undefined) (event.extra ??= {}).xdelay = String(xdelay);
  return event;
}
