/**
 * `ruleset=check_rcpt, arg1=<x@y>, relay=host [ip], reject=550 5.7.1 <x@y>... Relaying denied`: an access rule
 * refused an SMTP command. The ruleset names the command: `check_relay` the connection (`arg1` the client's name,
 * `arg2` its address), `check_mail` the sender, `check_rcpt` the recipient.
 */
import { unwrapAddress } from '../address';
import { replyAt } from '../reply';
import type { MailEvent } from '../types';
import { readRelay, relayExtra } from './relay';

const STAGES: Record<string, string> = {
  check_relay: 'CONNECT',
  check_mail: 'MAIL',
  check_rcpt: 'RCPT',
  check_data: 'DATA',
  check_eom: 'END-OF-MESSAGE',
  check_etrn: 'ETRN',
  check_expn: 'EXPN',
  check_vrfy: 'VRFY',
};

/** The reply without its target: `<x@y>... Relaying denied` is about `x@y`, and says `Relaying denied`. */
function reasonOf(text: string): string {
  const dots = text.indexOf('... ');
  if (dots <= 0 || text.lastIndexOf(' ', dots) >= 0) return text;
  return text.slice(dots + 4);
}

/** A rule's rejection; undefined for a rule that did not reject (`discard`, `quarantine=`). */
export function parseRuleset(values: Record<string, string>): MailEvent | undefined {
  const rejectText = values.reject;
  if (rejectText === undefined) return undefined;
  const ruleset = values.ruleset;
  const event: MailEvent = { mta: 'sendmail', action: 'reject', category: ['email'], outcome: 'failure' };
  const reply = replyAt(rejectText, 0) ?? { text: rejectText };
  const reject: NonNullable<MailEvent['reject']> = { ...reply, reason: reasonOf(reply.text) };
  const stage = STAGES[ruleset];
  if (stage !== undefined) reject.stage = stage;
  event.reject = reject;
  if (values.relay !== undefined) {
    const relay = readRelay(values.relay);
    event.client = relay.peer;
    event.extra = relayExtra(relay, event.extra);
  }
  const arg1 = values.arg1;
  if (arg1 !== undefined) {
    if (ruleset === 'check_rcpt') event.to = unwrapAddress(arg1);
    else if (ruleset === 'check_mail') event.from = unwrapAddress(arg1);
  }
  (event.extra ??= {}).ruleset = ruleset;
  return event;
}
