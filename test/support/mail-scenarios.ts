import { randomUUID } from 'node:crypto';
import type { PostfixInstance } from './postfix';
import type { SendResult } from './smtp-send';
import { MAIL_DOMAINS } from './postfix-config';

/**
 * Mail sent through a real Postfix (see postfix.ts) so that its log holds one of each thing a mail log records:
 * delivery to one and to several recipients, a recipient refused at RCPT time beside an accepted one, a deferral,
 * a bounce with its non-delivery notice, and a transaction refused outright. The outcome says, per message, what
 * Postfix was expected to do and under which queue id it logged it, so that tests can check what Vigil reads back.
 */

export type ExpectedFate = 'sent' | 'deferred' | 'bounced' | 'rejected';

export interface ScenarioRecipient {
  address: string;
  expected: ExpectedFate;
}

export interface MailScenario {
  name: string;
  from: string;
  /** In the order of the RCPT commands, which decides whether a refusal is logged under a queue id. */
  recipients: ScenarioRecipient[];
}

export interface ScenarioOutcome extends MailScenario {
  /** The Message-ID header sent, without its angle brackets (Postfix logs it between them). */
  messageId: string;
  /** The queue id cleanup logged the Message-ID under; absent when every recipient was refused. */
  queueId?: string;
  /** Whether the log shows `<queueId>: removed`, i.e. the message left the queue, delivered or bounced. */
  removed: boolean;
  /** For a bounced message: the queue id of the non-delivery notice that went back to its sender. */
  noticeQueueId?: string;
  /** What the SMTP server answered the sender. */
  smtp: SendResult;
}

const at = (user: string) => `${user}@${MAIL_DOMAINS.local}`;

/** Senders and deliverable recipients are all among DEFAULT_MAIL_USERS; ghost and nobody have no mailbox. */
export const MAIL_SCENARIOS: readonly MailScenario[] = [
  { name: 'one-recipient', from: at('alice'), recipients: [{ address: at('bob'), expected: 'sent' }] },
  {
    name: 'three-recipients',
    from: at('bob'),
    recipients: ['alice', 'carol', 'dave'].map((user) => ({ address: at(user), expected: 'sent' as const })),
  },
  {
    // The known recipient comes first: once smtpd has accepted a recipient it has opened a queue file, so the
    // refusal that follows is logged under the message's queue id rather than as NOQUEUE.
    name: 'known-and-unknown-recipient',
    from: at('carol'),
    recipients: [
      { address: at('erin'), expected: 'sent' },
      { address: at('ghost'), expected: 'rejected' },
    ],
  },
  {
    // The unknown recipient comes first: its refusal is logged as NOQUEUE, before the message has a queue id; the
    // reader must still count it among this message's recipients.
    name: 'unknown-then-known-recipient',
    from: at('dave'),
    recipients: [
      { address: at('ghost'), expected: 'rejected' },
      { address: at('alice'), expected: 'sent' },
    ],
  },
  {
    name: 'unreachable-domain',
    from: at('dave'),
    recipients: [{ address: `ops@${MAIL_DOMAINS.unreachable}`, expected: 'deferred' }],
  },
  {
    name: 'undeliverable-domain',
    from: at('erin'),
    recipients: [{ address: `sales@${MAIL_DOMAINS.undeliverable}`, expected: 'bounced' }],
  },
  { name: 'only-unknown-recipient', from: at('alice'), recipients: [{ address: at('nobody'), expected: 'rejected' }] },
];

const QUEUE_ID = '[0-9A-Za-z]+';

/**
 * Sends every scenario through the instance (started with the default users), then waits until its log shows the
 * final line of each: `status=sent` per delivered recipient and `removed`, `status=deferred`, `status=bounced` with
 * the notice delivered and both messages removed, and the RCPT refusals. Fails, naming what is missing, when the
 * server answers otherwise than expected or the log is not complete within `timeoutMs`.
 */
export async function runMailScenarios(instance: PostfixInstance, timeoutMs = 60_000): Promise<ScenarioOutcome[]> {
  // Message-IDs unique per run, so that a log holding several runs still maps each to its own queue id.
  const run = randomUUID().slice(0, 8);
  const sent: Array<MailScenario & { messageId: string; smtp: SendResult }> = [];
  for (const scenario of MAIL_SCENARIOS) {
    const messageId = `${scenario.name}.${run}@${MAIL_DOMAINS.local}`;
    const smtp = await instance.send({
      from: scenario.from,
      to: scenario.recipients.map((r) => r.address),
      subject: `Vigil mail scenario ${scenario.name}`,
      body: `This message exercises the ${scenario.name} case of the Vigil mail ingest tests.\n`,
      messageId: `<${messageId}>`,
    });
    checkReplies(scenario, smtp);
    sent.push({ ...scenario, messageId, smtp });
  }

  const deadline = Date.now() + timeoutMs;
  const waitFor = (pattern: RegExp) => instance.waitForLog(pattern, Math.max(0, deadline - Date.now()));
  const outcomes: ScenarioOutcome[] = [];
  for (const message of sent) {
    const queued = message.recipients.filter((r) => r.expected !== 'rejected');
    let queueId: string | undefined;
    let noticeQueueId: string | undefined;
    if (queued.length > 0) {
      const cleanup = logLine(`(${QUEUE_ID})`, `message-id=<${escapeRegExp(message.messageId)}>$`);
      queueId = cleanup.exec(await waitFor(cleanup))?.[1];
    }
    for (const [i, recipient] of message.recipients.entries()) {
      if (recipient.expected === 'rejected') {
        const afterAnAcceptedOne = message.recipients.slice(0, i).some((r) => r.expected !== 'rejected');
        const under = afterAnAcceptedOne && queueId ? queueId : 'NOQUEUE';
        const envelope = `from=<${escapeRegExp(message.from)}> to=<${escapeRegExp(recipient.address)}> `;
        await waitFor(logLine(under, `reject: RCPT from .*; ${envelope}`));
      } else {
        await waitFor(logLine(queueId!, `to=<${escapeRegExp(recipient.address)}>, .* status=${recipient.expected} `));
      }
    }
    if (queueId && queued.some((r) => r.expected === 'bounced')) {
      const notice = logLine(queueId, `sender non-delivery notification: (${QUEUE_ID})$`);
      noticeQueueId = notice.exec(await waitFor(notice))?.[1];
      await waitFor(logLine(noticeQueueId!, `to=<${escapeRegExp(message.from)}>, .* status=sent `));
      await waitFor(logLine(noticeQueueId!, 'removed$'));
    }
    if (queueId && queued.every((r) => r.expected !== 'deferred')) await waitFor(logLine(queueId, 'removed$'));
    const removed = queueId !== undefined && logLine(queueId, 'removed$').test(await instance.readLog());
    outcomes.push({ ...message, queueId, removed, noticeQueueId });
  }
  return outcomes;
}

/** The server must accept exactly the recipients the scenario expects to be queued, or the scenario means nothing. */
function checkReplies(scenario: MailScenario, smtp: SendResult): void {
  const expected = scenario.recipients.filter((r) => r.expected !== 'rejected').map((r) => r.address);
  if ([...smtp.accepted].sort().join() !== [...expected].sort().join()) {
    const refusals = smtp.rejected.map((r) => `${r.address}: ${r.reply}`).join('; ') || 'none';
    throw new Error(
      `scenario ${scenario.name}: the server accepted [${smtp.accepted.join(', ')}], expected ` +
        `[${expected.join(', ')}]; its refusals: ${refusals}`,
    );
  }
}

/** A line of a Postfix daemon about one queue id (or NOQUEUE), as postlogd writes it. */
function logLine(queueId: string, rest: string): RegExp {
  return new RegExp(` postfix/[\\w/-]+\\[\\d+\\]: ${queueId}: ${rest}`, 'm');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
