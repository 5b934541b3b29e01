/** SA-Exim verdicts, read from the real lines of fail2ban's exim-spam log. */
import { parseCorpusLine } from './corpus.fixture';

describe('SA-Exim verdicts', () => {
  it('reads the verdict, score, Message-ID, sender, client and recipient', () => {
    expect(parseCorpusLine('exim-spam', '1VxPit-000MMd-U4')).toEqual({
      mta: 'exim',
      action: 'milter',
      category: ['email'],
      queueId: '1VxPit-000MMd-U4',
      milter: { name: 'sa-exim', result: 'flagged as Spam but accepted' },
      client: { host: 'ip-4.net-3-2-1.rev.xxx.xx', ip: '178.123.108.196' },
      from: 'spammer@xxx.xx',
      to: 'trap@example.com',
      messageId: '008701cf04ed_24497d70_6cdc7850_@xxx.xx',
      extra: { score: '8.2' },
    });
  });

  it('leaves the host name out when SA-Exim had none, and reads the null sender', () => {
    const event = parseCorpusLine('exim-spam', '1VxHWD-000NuW-83');
    expect(event?.client).toEqual({ ip: '178.123.108.196' });
    expect(event?.from).toBe('');
    expect(event?.milter?.result).toBe('silently tossed message');
  });
});
