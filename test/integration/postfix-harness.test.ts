import { existsSync } from 'node:fs';
import net from 'node:net';
import { runMailScenarios, type ScenarioOutcome } from '../support/mail-scenarios';
import { PostfixStartError, postfixProcesses, startPostfix, type PostfixInstance } from '../support/postfix';

/**
 * Proves the Postfix harness from the raw log it writes, without any Vigil parser: every scenario left the lines a
 * real Postfix writes for it, under the queue id the harness reports.
 */

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The log lines of one daemon about one queue id (or NOQUEUE) whose text after the id matches `rest`. */
function lines(log: string, daemon: string, queueId: string, rest: string): string[] {
  const pattern = new RegExp(` postfix/${daemon}\\[\\d+\\]: ${queueId}: ${rest}`);
  return log.split('\n').filter((line) => pattern.test(line));
}

/** What smtpd logs after `<queue id or NOQUEUE>: ` when it refuses an unknown recipient at vigil.test. */
function unknownRecipientRefusal(from: string, to: string): string {
  return (
    `reject: RCPT from unknown\\[127\\.0\\.0\\.1\\]: 550 5\\.1\\.1 <${escape(to)}>: Recipient address rejected: ` +
    `User unknown in virtual mailbox table; from=<${escape(from)}> to=<${escape(to)}> proto=ESMTP `
  );
}

describe('a private Postfix instance with the mail scenarios sent through it', () => {
  let postfix: PostfixInstance | undefined;
  let outcomes: ScenarioOutcome[];
  let log: string;
  const outcome = (name: string) => {
    const found = outcomes.find((o) => o.name === name);
    if (!found) throw new Error(`no outcome for scenario ${name}`);
    return found;
  };

  beforeAll(async () => {
    postfix = await startPostfix();
    outcomes = await runMailScenarios(postfix);
    log = await postfix.readLog();
  });

  afterAll(async () => {
    await postfix?.stop();
  });

  it('logs each queued message from its SMTP client to its final status, under the queue id the server replied', () => {
    for (const o of outcomes.filter((o) => o.recipients.some((r) => r.expected !== 'rejected'))) {
      const queued = o.recipients.filter((r) => r.expected !== 'rejected');
      expect(o.queueId).toBeDefined();
      const id = o.queueId!;
      expect(o.smtp.queueId).toBe(id);
      expect(lines(log, 'smtpd', id, 'client=unknown\\[127\\.0\\.0\\.1\\]$')).toHaveLength(1);
      expect(lines(log, 'cleanup', id, `message-id=<${escape(o.messageId)}>$`)).toHaveLength(1);
      const arrival = `from=<${escape(o.from)}>, size=\\d+, nrcpt=${queued.length} \\(queue active\\)$`;
      expect(lines(log, 'qmgr', id, arrival)).toHaveLength(1);
      for (const r of queued) {
        expect(lines(log, '\\w+', id, `to=<${escape(r.address)}>, `)).toEqual([
          expect.stringMatching(new RegExp(`, status=${r.expected} \\(`)),
        ]);
      }
      expect(lines(log, 'qmgr', id, 'removed$')).toHaveLength(o.removed ? 1 : 0);
    }
  });

  it('runs without a warning or an error in its log', () => {
    expect(log.split('\n').filter((line) => /\]: (warning|error|fatal|panic): /.test(line))).toEqual([]);
  });

  it('delivers sent mail into the recipients’ maildirs', async () => {
    for (const o of outcomes) {
      for (const r of o.recipients.filter((r) => r.expected === 'sent')) {
        const messages = await postfix!.mailbox(r.address.split('@')[0]);
        expect(messages.filter((m) => m.includes(`Message-ID: <${o.messageId}>`))).toHaveLength(1);
      }
    }
  });

  it('removes delivered and bounced messages from the queue and keeps the deferred one', async () => {
    expect(outcomes.filter((o) => o.queueId).map((o) => [o.name, o.removed])).toEqual([
      ['one-recipient', true],
      ['three-recipients', true],
      ['known-and-unknown-recipient', true],
      ['unknown-then-known-recipient', true],
      ['unreachable-domain', false],
      ['undeliverable-domain', true],
    ]);
    const deferred = outcome('unreachable-domain');
    const queue = await postfix!.queue();
    expect(queue.map((e) => e.queue_id)).toEqual([deferred.queueId]);
    expect(queue[0].sender).toBe(deferred.from);
    expect(queue[0].recipients).toEqual([
      { address: deferred.recipients[0].address, delay_reason: expect.stringContaining('Connection refused') },
    ]);
  });

  it('refuses unknown recipients at RCPT time: under the queue id after an accepted recipient, else as NOQUEUE', () => {
    const mixed = outcome('known-and-unknown-recipient');
    const ghost = mixed.recipients.find((r) => r.expected === 'rejected')!.address;
    expect(mixed.smtp.rejected).toEqual([
      { address: ghost, reply: expect.stringMatching(/^550 5\.1\.1 .*User unknown/) },
    ]);
    expect(lines(log, 'smtpd', mixed.queueId!, unknownRecipientRefusal(mixed.from, ghost))).toHaveLength(1);

    // Refused first, before any recipient was accepted: NOQUEUE, although the message then gets a queue id.
    const first = outcome('unknown-then-known-recipient');
    expect(first.queueId).toBeDefined();
    expect(lines(log, 'smtpd', 'NOQUEUE', unknownRecipientRefusal(first.from, ghost))).toHaveLength(1);

    const refused = outcome('only-unknown-recipient');
    const nobody = refused.recipients[0].address;
    expect(refused.queueId).toBeUndefined();
    expect(refused.removed).toBe(false);
    expect(refused.smtp.accepted).toEqual([]);
    expect(refused.smtp.queueId).toBeUndefined();
    expect(refused.smtp.rejected).toEqual([{ address: nobody, reply: expect.stringMatching(/^550 5\.1\.1 /) }]);
    expect(lines(log, 'smtpd', 'NOQUEUE', unknownRecipientRefusal(refused.from, nobody))).toHaveLength(1);
    expect(log).not.toContain(`message-id=<${refused.messageId}>`);
  });

  it('bounces mail for the undeliverable domain and delivers the non-delivery notice to its sender', async () => {
    const bounced = outcome('undeliverable-domain');
    const notice = bounced.noticeQueueId!;
    const recipient = escape(bounced.recipients[0].address);
    const refusal = `to=<${recipient}>, relay=none, .*dsn=5\\.1\\.1, status=bounced \\(mailbox unavailable\\)$`;
    expect(lines(log, 'error', bounced.queueId!, refusal)).toHaveLength(1);
    expect(lines(log, 'bounce', bounced.queueId!, `sender non-delivery notification: ${notice}$`)).toHaveLength(1);
    expect(lines(log, 'qmgr', notice, 'from=<>, ')).toHaveLength(1);
    expect(lines(log, 'virtual', notice, `to=<${escape(bounced.from)}>, .* status=sent `)).toHaveLength(1);
    const inbox = await postfix!.mailbox(bounced.from.split('@')[0]);
    const returned = inbox.filter((m) => m.includes(`Message-ID: <${bounced.messageId}>`));
    expect(returned).toEqual([expect.stringContaining('Undelivered Mail Returned to Sender')]);
  });

  it('tries the deferred message again when the queue is flushed', async () => {
    const deferred = outcome('unreachable-domain');
    const address = escape(deferred.recipients[0].address);
    const attempt = new RegExp(`: ${deferred.queueId}: to=<${address}>, .*status=deferred`, 'g');
    const before = (await postfix!.readLog()).match(attempt)?.length ?? 0;
    expect(before).toBe(1);
    await postfix!.flushQueue();
    await postfix!.waitForLog((text) => (text.match(attempt)?.length ?? 0) > before, 30_000);
  });

  it('leaves no process of the instance and no directory behind when stopped', async () => {
    const instance = postfix!;
    const running = await postfixProcesses(instance.configDir);
    expect(running.some((p) => /\/master\b/.test(p.command))).toBe(true);
    await instance.stop();
    expect(await postfixProcesses(instance.configDir)).toEqual([]);
    expect(existsSync(instance.configDir)).toBe(false);
  });
});

describe('a Postfix instance that cannot start', () => {
  const started: PostfixInstance[] = [];
  let blocker: net.Server | undefined;

  afterAll(async () => {
    for (const instance of started) await instance.stop();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  });

  /** The error a start fails with; an instance that starts anyway is stopped after the tests. */
  async function startFailure(port: number): Promise<unknown> {
    try {
      started.push(await startPostfix({ smtpPort: port }));
      return new Error(`an instance started on port ${port}, which is taken`);
    } catch (err) {
      return err;
    }
  }

  async function expectCleanFailure(failure: unknown, reason: RegExp): Promise<void> {
    expect(failure).toBeInstanceOf(PostfixStartError);
    const { message, configDir } = failure as PostfixStartError;
    expect(message).toMatch(reason);
    expect(await postfixProcesses(configDir)).toEqual([]);
    expect(existsSync(configDir)).toBe(false);
  }

  it('fails with the end of its log when its port is taken, and leaves nothing running', async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const failure = await startFailure((blocker.address() as net.AddressInfo).port);
    const bindFailure = /last lines of its log:\n[^]*fatal: bind 127\.0\.0\.1 port \d+: Address already in use/;
    await expectCleanFailure(failure, bindFailure);
  });

  it('refuses to share its port with another Postfix, which binds it too', async () => {
    const first = await startPostfix();
    started.push(first);
    await expectCleanFailure(await startFailure(first.smtpPort), /2 sockets listen on port \d+/);
  });
});
