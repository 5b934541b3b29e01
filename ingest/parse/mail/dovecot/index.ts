/**
 * Dovecot, the IMAP and POP3 server that also delivers mail locally: logins and their failures, the password
 * databases' verdicts, the end of mail sessions, and LMTP/LDA deliveries. See process.ts for the line layouts.
 */
import type { MessageParser } from '../types';
import { parseLogin } from './login';
import { parseLocalDelivery, parseSessionEnd } from './mailbox';
import { parsePassdb } from './passdb';
import { readDovecotLine } from './process';

export const parseDovecot: MessageParser = (header) => {
  const line = readDovecotLine(header);
  if (line === undefined) return undefined;
  const { process, context, text } = line;
  if (process.endsWith('-login')) return parseLogin(process, text);
  if (process === 'auth' || process === 'auth-worker') return parsePassdb(process, context, text);
  if (process === 'lmtp' || process === 'lda' || process === 'deliver') return parseLocalDelivery(process, context, text);
  return parseSessionEnd(process, context, text);
};
