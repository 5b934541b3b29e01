/**
 * Postfix starting, reloading and stopping, as master and postfix-script tell it. A mail system that restarts
 * outside a change window, or stops, is worth an alert of its own.
 */
import type { MailEvent } from '../types';
import { extraOf, newEvent, type Origin } from './event';

const VERSION = ' -- version ';
const CONFIGURATION = ', configuration ';
const TERMINATING = 'terminating on signal ';

/**
 * master: `daemon started -- version 3.7.2, configuration /etc/postfix`, `reload -- ...`, `terminating on signal 15`.
 */
export function parseMaster(message: string, origin: Origin): MailEvent | undefined {
  if (message.startsWith(TERMINATING)) {
    const event = newEvent(origin, 'stop', ['process']);
    extraOf(event).signal = message.slice(TERMINATING.length);
    return event;
  }
  const version = message.indexOf(VERSION);
  if (version < 0) return undefined;
  const what = message.slice(0, version);
  const action = what === 'daemon started' ? 'start' : what === 'reload' ? 'reload' : undefined;
  if (action === undefined) return undefined;
  const event = newEvent(origin, action, ['process']);
  const extra = extraOf(event);
  const configuration = message.indexOf(CONFIGURATION, version);
  if (configuration < 0) {
    extra.version = message.slice(version + VERSION.length);
  } else {
    extra.version = message.slice(version + VERSION.length, configuration);
    extra.configuration = message.slice(configuration + CONFIGURATION.length);
  }
  return event;
}

const SCRIPT_ACTIONS: ReadonlyArray<readonly [string, string]> = [
  ['starting the Postfix mail system', 'start'],
  ['stopping the Postfix mail system', 'stop'],
  ['refreshing the Postfix mail system', 'reload'],
];

/** postfix-script, which `postfix start|stop|reload` runs. */
export function parsePostfixScript(message: string, origin: Origin): MailEvent | undefined {
  for (const [text, action] of SCRIPT_ACTIONS) {
    if (message === text) return newEvent(origin, action, ['process']);
  }
  return undefined;
}
