/**
 * Message arrival (`<=`). The shared corpus holds no Exim arrival line; the first case is the example of the Exim
 * specification, chapter "Log files", section "Logging message reception", joined onto one line, with a concrete
 * Message-ID where the spec writes the placeholder `<incoming message id>`. The other cases add the fields that
 * section and "Reducing or increasing what is logged" describe, in the form they give.
 */
import { ownLog } from './corpus.fixture';
import { parseExim } from './index';

describe('Exim arrivals', () => {
  it("reads the spec's arrival: sender, host, identity, protocol, size, Message-ID", () => {
    const event = parseExim(
      ownLog(
        '2002-10-31 08:57:53 16ZCW1-0005MB-00 <= kryten@dwarf.fict.example H=mailer.fict.example [192.168.123.123] U=exim P=smtp ' +
          'S=5678 id=f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example',
      ),
    );
    expect(event).toEqual({
      mta: 'exim',
      action: 'queued',
      category: ['email'],
      outcome: 'success',
      queueId: '16ZCW1-0005MB-00',
      from: 'kryten@dwarf.fict.example',
      client: { host: 'mailer.fict.example', ip: '192.168.123.123' },
      protocol: 'SMTP',
      size: 5678,
      messageId: 'f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example',
      extra: { ident: 'exim' },
    });
  });

  it('takes the HELO name in parentheses apart from the verified name and the address', () => {
    // "H=(10.21.32.43) [192.168.8.34]": the spec's example of a client that gave an address as its HELO name.
    const event = parseExim(ownLog('2002-10-31 08:57:53 16ZCW1-0005MB-00 <= kryten@dwarf.fict.example H=(10.21.32.43) [192.168.8.34] P=smtp S=5678'));
    expect(event?.client).toEqual({ ip: '192.168.8.34' });
    expect(event?.helo).toBe('10.21.32.43');
  });

  it('reads a bounce: the null sender and the message it is about', () => {
    const event = parseExim(ownLog('2002-10-31 09:00:12 16ZCXA-0005MC-00 <= <> R=16ZCW1-0005MB-00 U=exim P=local S=1851'));
    expect(event).toMatchObject({ action: 'queued', from: '', protocol: 'LOCAL', size: 1851, extra: { bounce_of: '16ZCW1-0005MB-00' } });
    expect(event?.client).toBeUndefined();
  });

  it('reads the authenticator, the cipher suite, the subject, the port and the recipients', () => {
    const event = parseExim(
      ownLog(
        '2002-10-31 08:57:53 16ZCW1-0005MB-00 <= kryten@dwarf.fict.example H=mailer.fict.example (dwarf) [192.168.123.123]:51234 ' +
          'P=esmtpsa X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=no A=dovecot_login:kryten S=5678 T="Re: smeg: \\"heads\\"" ' +
          'for lister@red.fict.example rimmer@red.fict.example',
      ),
    );
    expect(event).toMatchObject({
      client: { host: 'mailer.fict.example', ip: '192.168.123.123', port: 51234 },
      helo: 'dwarf',
      protocol: 'ESMTPSA',
      auth: { method: 'dovecot_login', user: 'kryten' },
      tls: { version: 'TLS1.2', cipher: 'ECDHE_RSA_AES_256_GCM_SHA384', bits: 256, trust: 'Untrusted' },
      subject: 'Re: smeg: "heads"',
      recipientCount: 2,
      extra: { recipients: 'lister@red.fict.example rimmer@red.fict.example' },
    });
  });

  it('reads the 23-character message id of Exim 4.97 and later', () => {
    // The id became 6-11-4 base-62 characters in 4.97 (ChangeLog JH/29); the line is the spec's Completed example.
    const event = parseExim(ownLog('2002-10-31 09:00:11 1sAbCd-00000000001-Xyz0 Completed'));
    expect(event).toMatchObject({ action: 'removed', queueId: '1sAbCd-00000000001-Xyz0' });
  });
});
