import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer';

/**
 * One SMTP connection that submits one message, as a relaying mail server would: EHLO, MAIL, RCPT per recipient,
 * DATA, QUIT.
 * nodemailer's connection is used directly rather than its transport, because the transport drops the connection
 * without QUIT, which the server would log as a lost connection instead of an ordinary conversation.
 */

export interface OutgoingMail {
  from: string;
  to: string[];
  subject: string;
  body: string;
  /** The Message-ID header, angle brackets included. */
  messageId?: string;
}

export interface SendResult {
  /** Recipients the server accepted at RCPT time. */
  accepted: string[];
  /** Recipients it refused, each with the server's reply. */
  rejected: Array<{ address: string; reply: string }>;
  /** From the server's reply to the end of data ("queued as ..."); absent when no recipient was accepted. */
  queueId?: string;
}

/** The name the client gives in EHLO; the server logs it as helo=<...>. */
export const SMTP_CLIENT_NAME = 'client.vigil.test';
const SMTP_TIMEOUT_MS = 30_000;

export async function sendMail(host: string, port: number, message: OutgoingMail): Promise<SendResult> {
  const raw = await new MailComposer({
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.body,
    messageId: message.messageId,
  })
    .compile()
    .build();
  const connection = new SMTPConnection({
    host,
    port,
    secure: false,
    ignoreTLS: true,
    name: SMTP_CLIENT_NAME,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  // Socket failures arrive as 'error' events at any stage; each stage below fails with the first of them.
  const failed = new Promise<never>((_, reject) => connection.on('error', reject));
  const ended = new Promise<void>((resolve) => connection.once('end', resolve));
  try {
    await Promise.race([failed, new Promise<void>((resolve) => connection.connect(() => resolve()))]);
    const sent = new Promise<SendResult>((resolve, reject) =>
      connection.send({ from: message.from, to: message.to }, raw, (err, info) => {
        if (!err) {
          resolve({
            accepted: info.accepted.map(String),
            rejected: rejections(info.rejectedErrors ?? []),
            queueId: /queued as ([0-9A-Za-z]+)/.exec(info.response)?.[1],
          });
          return;
        }
        // nodemailer fails the whole send when every recipient was refused; for the tests that is a result.
        const e = err as NodemailerError;
        if (e.code === 'EENVELOPE' && e.command === 'RCPT TO' && e.rejectedErrors?.length) {
          resolve({ accepted: [], rejected: rejections(e.rejectedErrors) });
        } else {
          reject(err);
        }
      }),
    );
    const result = await Promise.race([failed, sent]);
    connection.quit();
    await Promise.race([failed, ended]);
    return result;
  } finally {
    connection.close();
  }
}

function rejections(errors: NodemailerError[]): SendResult['rejected'] {
  return errors.map((e) => ({ address: e.recipient ?? '', reply: e.response ?? e.message }));
}
