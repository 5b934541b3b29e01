import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '../../../test/support/wait';
import { FileSource } from '../file/follower';
import { type Scratch, scratchDir } from '../file/files.fixture';
import { type ListenAddress } from './listen';
import { lineFramed, octetCounted, POSTFIX_LINES, readSpool, realMessages, segmentFiles } from './messages.fixture';
import { startSyslogReceiver, type SyslogReceiver, type SyslogReceiverOptions } from './receiver';
import { decodeSpoolLine, SEGMENT_NAME } from './spool';
import { capturingLogger, closeUdp, connectTcp, LOOPBACK, portOf, sendAndClose, sendDatagrams, udpSender } from './receiver.fixture';

describe('syslog receiver', () => {
  let scratch: Scratch;
  let dir: string;
  const running: SyslogReceiver[] = [];
  const sources: FileSource[] = [];

  async function start(options: Partial<SyslogReceiverOptions> = {}): Promise<SyslogReceiver> {
    const r = await startSyslogReceiver({ listen: LOOPBACK, spoolDir: dir, gcIntervalMs: 20, ...options });
    running.push(r);
    return r;
  }

  async function sendTcp(r: SyslogReceiver, messages: string[]): Promise<void> {
    const before = r.stats().received.tcp;
    await sendAndClose(await connectTcp(portOf(r, 'tcp')), [lineFramed(messages)]);
    await waitFor(async () => r.stats().received.tcp === before + messages.length, 'the messages to be spooled');
  }

  const sizes = () => segmentFiles(dir).reduce((sum, f) => sum + statSync(f).size, 0);

  beforeEach(() => {
    scratch = scratchDir();
    dir = scratch.path('syslog-spool');
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    for (const s of sources.splice(0)) await s.close();
    scratch.remove();
  });

  it('keeps the segments of an earlier run, counts them into the spool and adds its own after them', async () => {
    const first = await start({ segmentBytes: 8192 });
    const earlier = realMessages(0, 300);
    // A read goes into one segment whole: a connection per 50 messages makes several segments.
    for (let i = 0; i < earlier.length; i += 50) await sendTcp(first, earlier.slice(i, i + 50));
    await first.close();
    const kept = segmentFiles(dir);
    expect(kept.length).toBeGreaterThan(2);

    const second = await start({ segmentBytes: 8192 });
    expect(second.stats()).toMatchObject({ spoolBytes: sizes(), spoolSegments: kept.length + 1, bytesSpooled: 0 });
    const later = realMessages(300, 50);
    await sendTcp(second, later);
    await second.close();
    expect(segmentFiles(dir).slice(0, kept.length)).toEqual(kept);
    expect(readSpool(dir).map((r) => r.msg)).toEqual([...earlier, ...later]);
    expect(second.stats().spoolBytes).toBe(sizes());

    // Kept segments that fill the spool hold the senders back from the start, until they are consumed.
    const third = await start({ segmentBytes: 8192, maxBytes: sizes() });
    expect(third.stats()).toMatchObject({ paused: true, spoolBytes: sizes() });
    const client = await connectTcp(portOf(third, 'tcp'));
    client.write(lineFramed(realMessages(400, 10)));
    const sender = await udpSender();
    await sendDatagrams(sender, portOf(third, 'udp'), realMessages(500, 3));
    await closeUdp(sender);
    await waitFor(async () => third.stats().udpDroppedFull === 3, 'the datagrams to be dropped');
    expect(third.stats().received).toEqual({ tcp: 0, udp: 0 });
    client.destroy();
  });

  it('frees segments as the file source commits them, when wired to FileSource.committedBytes', async () => {
    mkdirSync(dir, { recursive: true });
    const source = await FileSource.open({ paths: [dir], include: [SEGMENT_NAME], stateDir: scratch.path('state'), pollIntervalMs: 0, checkpointFlushIntervalMs: 0 });
    sources.push(source);
    const r = await start({ segmentBytes: 16 * 1024, committedBytes: (p) => source.committedBytes(p) });
    const sent = realMessages(0, 3000);
    await sendTcp(r, sent);

    const got: string[] = [];
    await waitFor(async () => {
      for (;;) {
        const batch = await source.readBatch();
        if (!batch || batch.length === 0) break;
        for (const line of batch) got.push(decodeSpoolLine(line.bytes.toString('utf8'))!.msg);
        for (const line of batch) source.commit(line.file.key, line.end, []);
      }
      // The spool counts a segment out when its unlink returns, a moment after the file is gone from the folder.
      return got.length >= sent.length && segmentFiles(dir).length === 1 && r.stats().spoolBytes === sizes();
    }, 'every segment but the open one to be read, deleted and counted out of the spool');
    expect(got.sort()).toEqual([...sent].sort());
    expect(r.stats().segmentsDeleted).toBeGreaterThan(3);
    expect(r.stats().spoolBytes).toBe(sizes());
    // Nothing was deleted before it was read: the file source saw no data go away unread.
    expect(source.stats()).toMatchObject({ warnings: 0, bytesLost: 0, errors: 0 });
  });

  it('reads what senders still send after close() half-closes their connections', async () => {
    const r = await start();
    const client = await connectTcp(portOf(r, 'tcp'));
    const sent = realMessages(0, 20_000);
    // The sender closes its side once it sees the receiver close its own, as syslog daemons do.
    const closed = new Promise((resolve) => client.once('close', resolve));
    // The last message has no LF: it ends with the connection.
    client.write(Buffer.concat([...sent.slice(0, -1).map(octetCounted), Buffer.from(sent[sent.length - 1])]));
    await waitFor(async () => r.stats().received.tcp > 0, 'the first messages');
    await r.close();
    await closed;
    expect(r.stats().received.tcp).toBe(sent.length);
    expect(readSpool(dir).map((rec) => rec.msg)).toEqual(sent);
  });

  it('cuts messages at maxMessageBytes from either transport, counts what it discards, and logs it', async () => {
    const { logger, entries } = capturingLogger();
    const r = await start({ maxMessageBytes: 100, logger });
    const long = POSTFIX_LINES.filter((l) => l.length > 150).slice(0, 4);
    await sendTcp(r, long.slice(0, 2));
    const sender = await udpSender();
    await sendDatagrams(sender, portOf(r, 'udp'), long.slice(2));
    await closeUdp(sender);
    await waitFor(async () => r.stats().received.udp === 2, 'the datagrams');
    await sendAndClose(await connectTcp(portOf(r, 'tcp')), [Buffer.from('0 '), octetCounted(long[0]).subarray(0, 40)]);
    await waitFor(async () => r.stats().tcpConnections === 0, 'the connection to close');
    await r.close();

    const discarded = long.reduce((sum, l) => sum + l.length - 100, 0);
    expect(r.stats()).toMatchObject({ oversized: 4, oversizedBytesDiscarded: discarded, framingErrors: 2 });
    expect(readSpool(dir).map((rec) => rec.msg).sort()).toEqual([...long.map((l) => l.slice(0, 100)), long[0].slice(0, 40 - `${long[0].length} `.length)].sort());
    const logged = entries.filter((e) => e.msg === 'The syslog receiver dropped or cut messages.');
    expect(logged.at(-1)).toMatchObject({ total: { oversized: 4, framingErrors: 2, udpDroppedFull: 0 } });
  });

  it('holds TCP back and drops UDP while no segment can be created, then goes on where it stopped', async () => {
    const { logger, entries } = capturingLogger();
    const r = await start({ segmentBytes: 4096, logger });
    // The next segment cannot be created: the spool directory is moved aside and a file takes its place.
    const aside = scratch.path('aside');
    renameSync(dir, aside);
    writeFileSync(dir, '');
    const sent = realMessages(0, 2000);
    const client = await connectTcp(portOf(r, 'tcp'));
    client.write(lineFramed(sent));
    await waitFor(async () => r.stats().paused, 'the receiver to pause');
    expect(r.stats().spoolWriteErrors).toBe(1);
    expect(entries.some((e) => e.level === 50 && /cannot be created \(ENOTDIR\)/.test(e.msg))).toBe(true);
    const sender = await udpSender();
    await sendDatagrams(sender, portOf(r, 'udp'), realMessages(5000, 10));
    await closeUdp(sender);
    await waitFor(async () => r.stats().udpDroppedFull === 10, 'the datagrams to be dropped');

    rmSync(dir);
    renameSync(aside, dir);
    await sendAndClose(client, []);
    await waitFor(async () => r.stats().received.tcp === sent.length, 'the rest of the messages');
    await r.close();
    expect(r.stats()).toMatchObject({ paused: false, messagesLost: 0, spoolWriteErrors: 1 });
    expect(readSpool(dir).map((rec) => rec.msg)).toEqual(sent);
  });

  it('says when the kernel grants a smaller UDP receive buffer than asked for', async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const { logger, entries } = capturingLogger();
    await start({ udpReceiveBufferBytes: rmemMax * 2, logger });
    await start({ udpReceiveBufferBytes: Math.floor(rmemMax / 2), logger, spoolDir: scratch.path('other-spool') });
    const warned = entries.filter((e) => e.msg.startsWith('The kernel granted a smaller UDP receive buffer'));
    expect(warned).toEqual([expect.objectContaining({ asked: rmemMax * 2, granted: rmemMax })]);
  });

  it('refuses bad options at once, naming the option', async () => {
    const fails = async (options: Partial<SyslogReceiverOptions>, message: RegExp) => {
      await expect(start(options)).rejects.toMatchObject({ code: 'VIGIL_USAGE', message: expect.stringMatching(message) });
    };
    await fails({ maxBytes: 0 }, /option maxBytes must be an integer of at least 2, not 0/);
    await fails({ fsyncIntervalMs: 2.5 }, /option fsyncIntervalMs/);
    await fails({ segmentBytes: 1024, maxBytes: 2000 }, /segmentBytes \(1024\) must be at most half of maxBytes \(2000\)/);
    await fails({ listen: [] }, /option listen needs at least one address/);
    await fails({ listen: [{ transport: 'tcp', host: 'localhost', port: 0 }] }, /tcp:\/\/localhost:0 has the host "localhost", which is not an IP address/);
    await fails({ listen: [...LOOPBACK, { transport: 'udp', host: '127.0.0.1', port: 5514 }, { transport: 'udp', host: '127.0.0.1', port: 5514 }] }, /given twice/);
    await fails({ spoolDir: '' }, /option spoolDir/);
    expect(() => statSync(dir)).toThrow();
  });

  it('fails to start when the spool directory cannot be made, naming it', async () => {
    writeFileSync(dir, '');
    await expect(start()).rejects.toMatchObject({ code: 'VIGIL_SOURCE', message: expect.stringContaining(`The syslog spool directory ${dir} cannot be created`) });
  });

  it('fails to start on a port in use, naming the address, and leaves no segment behind', async () => {
    const holder = await start();
    const other = path.join(scratch.dir, 'other-spool');
    for (const transport of ['tcp', 'udp'] as const) {
      const taken: ListenAddress = { transport, host: '127.0.0.1', port: portOf(holder, transport) };
      const free = LOOPBACK.find((a) => a.transport !== transport)!;
      await expect(startSyslogReceiver({ listen: [free, taken], spoolDir: other })).rejects.toMatchObject({
        code: 'VIGIL_SOURCE',
        message: `The syslog receiver cannot listen on ${transport}://127.0.0.1:${taken.port} (EADDRINUSE).`,
      });
      expect(segmentFiles(other)).toEqual([]);
    }
  });
});
