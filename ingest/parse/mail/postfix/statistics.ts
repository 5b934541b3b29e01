/**
 * Periodic reports of Postfix's helper daemons: anvil's peaks per client (`statistics: max connection rate 1/60s
 * for (smtpd:192.0.2.1) at Oct 26 18:13:50`), scache's hit rates (`statistics: domain lookup hits=0 miss=1
 * success=0%`), and the cleanups of the postscreen and verify caches. A client that tops anvil's peaks is one a
 * detector wants to see even when no limit was hit.
 */
import { isIP } from 'node:net';
import type { MailEvent } from '../types';
import { newEvent, type Origin } from './event';
import { parseKeyValues } from './keyvalue';

const STATISTICS = 'statistics: ';
const START_INTERVAL = 'start interval ';
const MAX = 'max ';
const AT = ' at ';

/** A `statistics:` line of anvil or scache, with action `statistics` and what it says in `extra`. */
export function parseStatistics(message: string, origin: Origin): MailEvent | undefined {
  if (!message.startsWith(STATISTICS)) return undefined;
  const start = STATISTICS.length;
  if (message.startsWith(START_INTERVAL, start)) {
    const event = newEvent(origin, 'statistics', ['process']);
    event.extra = { statistic: 'start interval', at: message.slice(start + START_INTERVAL.length) };
    return event;
  }
  if (message.indexOf('=', start) >= 0) return counters(message, start, origin);
  if (message.startsWith(MAX, start)) return peak(message, start + MAX.length, origin);
  return undefined;
}

/** scache: `domain lookup hits=0 miss=1 success=0%`, `max simultaneous domains=1 addresses=1 connection=1`. */
function counters(message: string, start: number, origin: Origin): MailEvent | undefined {
  let nameEnd = start;
  for (let space = message.indexOf(' ', start); space >= 0; space = message.indexOf(' ', space + 1)) {
    const next = message.indexOf(' ', space + 1);
    const equals = message.indexOf('=', space + 1);
    if (equals >= 0 && (next < 0 || equals < next)) {
      nameEnd = space;
      break;
    }
  }
  if (nameEnd === start) return undefined;
  const { values, end } = parseKeyValues(message, nameEnd + 1);
  if (end !== message.length) return undefined;
  const event = newEvent(origin, 'statistics', ['process']);
  event.extra = values;
  values.statistic = message.slice(start, nameEnd);
  return event;
}

/** anvil: `connection rate 1/60s for (smtpd:192.0.2.1) at Oct 26 18:13:50`, `cache size 1 at ...`. */
function peak(message: string, start: number, origin: Origin): MailEvent | undefined {
  let valueStart = -1;
  for (let space = message.indexOf(' ', start); space >= 0; space = message.indexOf(' ', space + 1)) {
    const c = message.charCodeAt(space + 1);
    if (c >= 0x30 && c <= 0x39) {
      valueStart = space + 1;
      break;
    }
  }
  if (valueStart < 0) return undefined;
  const valueEnd = message.indexOf(' ', valueStart);
  const at = message.lastIndexOf(AT);
  if (valueEnd < 0 || at < valueEnd) return undefined;
  const event = newEvent(origin, 'statistics', ['process']);
  const extra: Record<string, string> = { statistic: message.slice(start, valueStart - 1) };
  event.extra = extra;
  const value = message.slice(valueStart, valueEnd);
  const slash = value.indexOf('/');
  if (slash < 0) {
    extra.value = value;
  } else {
    extra.value = value.slice(0, slash);
    extra.period = value.slice(slash + 1);
  }
  if (message.startsWith(' for (', valueEnd)) {
    const close = message.lastIndexOf(')', at);
    if (close < 0) return undefined;
    readServiceClient(message.slice(valueEnd + 6, close), event);
  }
  extra.at = message.slice(at + AT.length);
  return event;
}

/**
 * `smtpd:192.0.2.1`, `127.0.0.1:2525:127.0.0.1`, `smtpd:2001:db8::1`, `smtp:unknown`: the service (which may be an
 * `address:port` itself) and the client's address, split at the first colon that leaves an address behind.
 */
function readServiceClient(inner: string, event: MailEvent): void {
  const extra = event.extra as Record<string, string>;
  for (let colon = inner.indexOf(':'); colon >= 0; colon = inner.indexOf(':', colon + 1)) {
    const client = inner.slice(colon + 1);
    if (client === 'unknown' || isIP(client) !== 0) {
      extra.service = inner.slice(0, colon);
      // anvil could not tell the address: say so rather than leave the client out silently.
      if (client === 'unknown') extra.client = client;
      else event.client = { ip: client };
      return;
    }
  }
  extra.service = inner;
}

const CACHE = 'cache ';
const CLEANUP = ' cleanup: ';

/**
 * `cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=242 dropped=7 entries` (postscreen and
 * verify): action `cache-cleanup`, the cache, whether it was a full or partial pass, and the entry counts.
 */
export function parseCacheCleanup(message: string, origin: Origin): MailEvent | undefined {
  if (!message.startsWith(CACHE)) return undefined;
  const cleanup = message.indexOf(CLEANUP, CACHE.length);
  if (cleanup < 0) return undefined;
  const kindStart = message.lastIndexOf(' ', cleanup - 1);
  if (kindStart < CACHE.length) return undefined;
  const { values } = parseKeyValues(message, cleanup + CLEANUP.length);
  if (values.retained === undefined || values.dropped === undefined) return undefined;
  const event = newEvent(origin, 'cache-cleanup', ['process']);
  event.extra = {
    cache: message.slice(CACHE.length, kindStart),
    cleanup: message.slice(kindStart + 1, cleanup),
    retained: values.retained,
    dropped: values.dropped,
  };
  return event;
}
