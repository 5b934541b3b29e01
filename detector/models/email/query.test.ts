import * as ipaddr from 'ipaddr.js';
import { corpusMailLines } from '../../../bench/mail-replay';
import { parseMailLine } from '../../../ingest/parse/mail';
import { registeredDomain } from '../../features/domain';
import { clientNetwork, parseAddress, parseDomain } from './query';

const TIME = { reference: Date.parse('2026-11-24T12:00:00Z'), timeZone: 'UTC' };

/** Envelope senders and client addresses of every real mail line of the corpus, as the mail parser reads them. */
function corpusEnvelopes(): { senders: string[]; clients: string[] } {
  const senders = new Set<string>();
  const clients = new Set<string>();
  for (const line of corpusMailLines()) {
    const outcome = parseMailLine(line, TIME);
    if (outcome.kind !== 'event') continue;
    if (outcome.event.from !== undefined) senders.add(outcome.event.from);
    if (outcome.event.client?.ip) clients.add(outcome.event.client.ip);
  }
  return { senders: [...senders].sort(), clients: [...clients].sort() };
}

describe('sender addresses and client networks of real mail logs', () => {
  const { senders, clients } = corpusEnvelopes();

  it('cuts every sender with a domain at its registered domain, and leaves out those without one', () => {
    expect(senders.length).toBeGreaterThan(20);
    let withDomain = 0;
    for (const raw of senders) {
      const a = parseAddress(raw);
      const at = raw.lastIndexOf('@');
      if (at <= 0 || at === raw.length - 1) {
        // The null sender `<>` and unqualified local names (`fail2ban`) belong to no domain.
        expect(a).toBeUndefined();
        continue;
      }
      withDomain++;
      expect(a).toBeDefined();
      expect(a!.address).toBe(raw.toLowerCase());
      expect(a!.address.endsWith(`@${a!.domain}`)).toBe(true);
      expect(a!.organisation).toBe(registeredDomain(a!.domain) ?? a!.domain);
      expect(a!.domain === a!.organisation || a!.domain.endsWith(`.${a!.organisation}`)).toBe(true);
    }
    expect(withDomain).toBeGreaterThan(15);
    expect(senders).toContain('');
  });

  it('gives bulk senders with per-recipient addresses one organisation', () => {
    // VERP (SendGrid) and SRS addresses put the recipient or the original sender in the local part; the domain is
    // the sending service's, so a campaign through it clusters on one organisation.
    const verp = senders.find((s) => s.startsWith('bounces+') && s.endsWith('@sendgrid.net'));
    expect(verp).toBeDefined();
    expect(parseAddress(verp)?.organisation).toBe('sendgrid.net');
    const srs = senders.find((s) => s.startsWith('SRS0='));
    expect(srs).toBeDefined();
    expect(parseAddress(srs)?.address).toBe(srs!.toLowerCase());
    expect(parseAddress(srs)?.organisation).toBe(registeredDomain(srs!.slice(srs!.lastIndexOf('@') + 1)));
  });

  it('puts every client in the /24 or /64 that contains it', () => {
    expect(clients.length).toBeGreaterThan(20);
    expect(clients.some((c) => c.includes(':'))).toBe(true);
    for (const ip of clients) {
      const network = clientNetwork(ip);
      const [base, bits] = ipaddr.parseCIDR(network);
      let addr = ipaddr.parse(ip);
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
      expect(bits).toBe(addr.kind() === 'ipv4' ? 24 : 64);
      expect(addr.kind()).toBe(base.kind());
      expect(addr.match([base, bits])).toBe(true);
    }
    expect(clientNetwork(undefined)).toBe('local');
  });

  it('reads milter domains as names, lower case, with their organisation', () => {
    expect(parseDomain('Mail.Example.co.uk')).toEqual({ domain: 'mail.example.co.uk', organisation: 'example.co.uk' });
    expect(parseDomain('')).toBeUndefined();
  });
});
