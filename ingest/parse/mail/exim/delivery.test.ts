/**
 * Deliveries (`=>`, `->`, `*>`, `**`, `==`) and completion. The shared corpus holds no Exim delivery line, so these
 * are the example lines of the Exim specification, chapter "Log files" (sections "Logging deliveries",
 * "Discarded deliveries", "Deferred deliveries", "Delivery failures", "Fake deliveries", "Completion"), each
 * joined back onto one line as the spec says they are written.
 */
import { ownLog } from './corpus.fixture';
import { parseExim } from './index';

describe('Exim deliveries, from the specification', () => {
  it('reads a local delivery: the final address, the original in angle brackets, router and transport', () => {
    const event = parseExim(ownLog('2002-10-31 08:59:13 16ZCW1-0005MB-00 => marv <marv@hitch.fict.example> R=localuser T=local_delivery'));
    expect(event).toEqual({
      mta: 'exim',
      action: 'delivery',
      category: ['email'],
      outcome: 'success',
      status: 'sent',
      queueId: '16ZCW1-0005MB-00',
      to: 'marv',
      origTo: 'marv@hitch.fict.example',
      extra: { router: 'localuser', transport: 'local_delivery' },
    });
  });

  it('reads a remote delivery: the host delivered to is the relay', () => {
    const event = parseExim(
      ownLog('2002-10-31 09:00:10 16ZCW1-0005MB-00 => monk@holistic.fict.example R=dnslookup T=remote_smtp H=holistic.fict.example [192.168.234.234]'),
    );
    expect(event).toMatchObject({
      action: 'delivery',
      status: 'sent',
      to: 'monk@holistic.fict.example',
      relay: { host: 'holistic.fict.example', ip: '192.168.234.234' },
    });
    expect(event?.origTo).toBeUndefined();
  });

  it('reads `->`, a further address of the same delivery, as sent', () => {
    // The spec's remote example with the flag that marks the second and later addresses of one delivery.
    const event = parseExim(
      ownLog('2002-10-31 09:00:10 16ZCW1-0005MB-00 -> monk@holistic.fict.example R=dnslookup T=remote_smtp H=holistic.fict.example [192.168.234.234]'),
    );
    expect(event).toMatchObject({ action: 'delivery', status: 'sent', to: 'monk@holistic.fict.example' });
  });

  it('reads `*>`, a delivery suppressed by -N, as not delivered', () => {
    // "a normal delivery line is written to the log, except that => is replaced by *>".
    const event = parseExim(
      ownLog('2002-10-31 09:00:10 16ZCW1-0005MB-00 *> monk@holistic.fict.example R=dnslookup T=remote_smtp H=holistic.fict.example [192.168.234.234]'),
    );
    expect(event).toMatchObject({ action: 'delivery', status: 'discarded', to: 'monk@holistic.fict.example', extra: { suppressed: 'true' } });
    expect(event?.outcome).toBeUndefined();
  });

  it('reads a delivery a filter discarded, and one to :blackhole:, as discarded to the original address', () => {
    const filtered = parseExim(ownLog('2002-12-10 00:50:49 16auJc-0001UB-00 => discarded <low.club@bridge.example> R=userforward'));
    expect(filtered).toMatchObject({ action: 'delivery', status: 'discarded', to: 'low.club@bridge.example', extra: { router: 'userforward' } });
    expect(filtered?.origTo).toBeUndefined();
    const blackhole = parseExim(ownLog('1999-03-02 09:44:33 10HmaX-0005vi-00 => :blackhole: <hole@nowhere.example> R=blackhole_router'));
    expect(blackhole).toMatchObject({ status: 'discarded', to: 'hole@nowhere.example', queueId: '10HmaX-0005vi-00' });
  });

  it('reads a deferral: the error after the errno is the status text', () => {
    const event = parseExim(ownLog('2002-12-19 16:20:23 16aiQz-0002Q5-00 == marvin@endrest.example R=dnslookup T=smtp defer (146): Connection refused'));
    expect(event).toEqual({
      mta: 'exim',
      action: 'delivery',
      category: ['email'],
      outcome: 'failure',
      status: 'deferred',
      queueId: '16aiQz-0002Q5-00',
      to: 'marvin@endrest.example',
      statusText: 'Connection refused',
      extra: { router: 'dnslookup', transport: 'smtp', errno: '146' },
    });
  });

  it('reads a routing failure: the original address, then the reason', () => {
    const event = parseExim(ownLog('1995-12-19 16:20:23 0tRiQz-0002Q5-00 ** jim@trek99.example <jim@trek99.example>: unknown mail domain'));
    expect(event).toMatchObject({
      action: 'delivery',
      status: 'bounced',
      outcome: 'failure',
      to: 'jim@trek99.example',
      origTo: 'jim@trek99.example',
      statusText: 'unknown mail domain',
    });
  });

  it('reads a transport failure: the remote host and its reply come from the reason', () => {
    const event = parseExim(
      ownLog(
        '2002-07-11 07:14:17 17SXDU-000189-00 ** ace400@pb.example R=dnslookup T=remote_smtp: SMTP error from remote mailer after ' +
          'pipelined RCPT TO:<ace400@pb.example>: host pbmail3.py.example [192.168.63.111]: 553 5.3.0 <ace400@pb.example>...Addressee unknown',
      ),
    );
    expect(event).toMatchObject({
      action: 'delivery',
      status: 'bounced',
      to: 'ace400@pb.example',
      relay: { host: 'pbmail3.py.example', ip: '192.168.63.111' },
      dsn: '5.3.0',
      extra: { router: 'dnslookup', transport: 'remote_smtp' },
    });
    expect(event?.statusText).toMatch(/^SMTP error from remote mailer after pipelined RCPT TO:<ace400@pb.example>: host /);
  });

  it('reads the confirmation, the queue time and the sender the log selectors add to a delivery line', () => {
    // The spec's remote example with `sender_on_delivery` (F=), `queue_time` (QT=, the spec's own value),
    // `deliver_time` (DT=) and `smtp_confirmation` (C=) as their sections describe them.
    const event = parseExim(
      ownLog(
        '2002-10-31 09:00:10 16ZCW1-0005MB-00 => monk@holistic.fict.example F=<kryten@dwarf.fict.example> R=dnslookup T=remote_smtp ' +
          'H=holistic.fict.example [192.168.234.234] C="250 2.0.0 OK accepted" QT=3m45s DT=1s',
      ),
    );
    expect(event).toMatchObject({
      from: 'kryten@dwarf.fict.example',
      statusText: '250 2.0.0 OK accepted',
      dsn: '2.0.0',
      delay: 225,
      extra: { delivery_time: '1' },
    });
  });

  it('reads Completed as the message leaving the queue', () => {
    expect(parseExim(ownLog('2002-10-31 09:00:11 16ZCW1-0005MB-00 Completed'))).toEqual({
      mta: 'exim',
      action: 'removed',
      category: ['email'],
      outcome: 'success',
      queueId: '16ZCW1-0005MB-00',
    });
  });
});
