/**
 * `login authenticator failed for (ylmf-pc) [192.0.2.1]:41556 I=[...]:25: 535 Incorrect authentication data
 * (set_id=user)`: an SMTP AUTH attempt that failed. The first word is the authenticator's name in the
 * configuration; `set_id` is the user its `server_set_id` made of the credentials.
 */
import { replyAt } from '../reply';
import type { MailEvent } from '../types';
import { readPeerFields } from './fields';
import { applyClient } from './values';

const FAILED_FOR = ' authenticator failed for ';
const SET_ID = ' (set_id=';

/** An authentication failure; undefined when `text[start]` is not one. */
export function parseAuthenticatorFailure(text: string, start: number): MailEvent | undefined {
  const nameEnd = text.indexOf(' ', start);
  if (nameEnd <= start || !text.startsWith(FAILED_FOR, nameEnd)) return undefined;
  const fields = readPeerFields(text, nameEnd + FAILED_FOR.length);
  const auth: NonNullable<MailEvent['auth']> = { method: text.slice(start, nameEnd) };
  const event: MailEvent = { mta: 'exim', action: 'auth-failure', category: ['authentication'], outcome: 'failure', auth };
  applyClient(event, fields);
  if (!fields.colon) return event;
  const reply = replyAt(text, fields.end + 2);
  if (!reply) return event;
  // The id comes last, in parentheses; a user name can hold spaces and parentheses, so it runs to the line's end.
  const setId = reply.text.indexOf(SET_ID);
  if (setId >= 0 && reply.text.endsWith(')')) {
    auth.user = reply.text.slice(setId + SET_ID.length, -1);
    reply.text = reply.text.slice(0, setId);
  }
  event.reject = { ...reply, stage: 'AUTH' };
  return event;
}
