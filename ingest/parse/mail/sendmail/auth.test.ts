/** SMTP AUTH as Sendmail logs it. */
import { parseCorpusLine } from './corpus.fixture';
import { parseSendmail } from './index';

describe('Sendmail AUTH', () => {
  it("reads a failure: mechanism, SASL's reason, the user and the client", () => {
    expect(parseCorpusLine('sendmail-auth', 'Password verification failed')).toEqual({
      mta: 'sendmail',
      daemon: 'sendmail',
      queueId: '09DJDgOM005976',
      action: 'auth-failure',
      category: ['authentication'],
      outcome: 'failure',
      auth: { method: 'PLAIN', user: 'test' },
      client: { host: 'host.example.com', ip: '192.0.2.8' },
      reject: { text: 'authentication failure (-13) SASL(-13): authentication failure: Password verification failed', stage: 'AUTH' },
    });
  });

  it('takes the client from the relay Sendmail wrote, not from one written into the user name', () => {
    const event = parseCorpusLine('sendmail-auth', 'user=criminal');
    expect(event?.client).toEqual({ ip: '192.0.2.4' });
    expect(event?.extra).toEqual({ may_be_forged: 'true' });
  });

  it('reads a failure without a user', () => {
    const event = parseCorpusLine('sendmail-auth', 'relay=[192.0.2.9]');
    expect(event?.auth).toEqual({ method: 'LOGIN' });
    expect(event?.client).toEqual({ ip: '192.0.2.9' });
  });

  it('reads repeated AUTH commands as an authentication attack', () => {
    expect(parseCorpusLine('sendmail-auth', '192.241.70.95.dsl.static.turk.net')).toMatchObject({
      action: 'auth-failure',
      category: ['authentication', 'intrusion_detection'],
      client: { host: '192.241.70.95.dsl.static.turk.net', ip: '95.70.241.192' },
      extra: { command: 'AUTH', count: '6', may_be_forged: 'true' },
    });
  });

  it('reads a successful authentication, the relay first and the client-chosen authid after it', () => {
    // No corpus line shows it: the format is the `AUTH=server, relay=%s, authid=%.128s, mech=%.16s, bits=%d` of
    // Sendmail's srvrsmtp.c, here with an authid that tries to pass for a second relay.
    const event = parseSendmail({
      timestamp: 0,
      timeFormat: 'rfc3164',
      program: 'sm-mta',
      message: 'AUTH=server, relay=client.example.org [192.0.2.10], authid=alice, relay=[198.51.100.1], mech=PLAIN, bits=0',
    });
    expect(event).toMatchObject({
      action: 'auth-success',
      outcome: 'success',
      auth: { method: 'PLAIN', user: 'alice' },
      client: { host: 'client.example.org', ip: '192.0.2.10' },
    });
  });
});
