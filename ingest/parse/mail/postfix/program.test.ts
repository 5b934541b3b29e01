import { fail2banCases } from '../../../../test/support/fail2ban';
import { postfixProgram } from './program';

describe('postfixProgram', () => {
  it('splits the syslog name (the instance) from the process (the daemon)', () => {
    expect(postfixProgram('postfix/smtpd')).toEqual({ instance: 'postfix', daemon: 'smtpd' });
    expect(postfixProgram('postfix/10025/smtpd')).toEqual({ instance: 'postfix/10025', daemon: 'smtpd' });
    expect(postfixProgram('postfix/submission/smtpd')).toEqual({ instance: 'postfix/submission', daemon: 'smtpd' });
    expect(postfixProgram('postfix-out/smtp')).toEqual({ instance: 'postfix-out', daemon: 'smtp' });
    expect(postfixProgram('postfix/postscreen')).toEqual({ instance: 'postfix', daemon: 'postscreen' });
    expect(postfixProgram('postfix/postfix-script')).toEqual({ instance: 'postfix', daemon: 'postfix-script' });
  });

  it('takes a bare syslog name as an instance without a daemon', () => {
    expect(postfixProgram('postfix')).toEqual({ instance: 'postfix' });
  });

  it('leaves other programs alone', () => {
    for (const program of ['sm-mta', 'exim', 'dovecot', 'opendkim', 'smtpd', 'mypostfix/smtpd']) {
      expect(postfixProgram(program)).toBeUndefined();
    }
    expect(postfixProgram('postfix/')).toBeUndefined();
  });

  it('reads every program name of the fail2ban postfix log', () => {
    const programs = new Set(fail2banCases('postfix').map((c) => /^\w{3} +\d+ [\d:]+ \S+ ([^:[]+)/.exec(c.line)?.[1]));
    expect([...programs].sort()).toEqual([
      'postfix-incoming/smtpd',
      'postfix-smo/submission/smtpd',
      'postfix/postscreen',
      'postfix/smtp-25/smtpd',
      'postfix/smtpd',
      'postfix/smtps/smtpd',
      'postfix/submission/smtpd',
    ]);
    for (const program of programs) {
      const parsed = postfixProgram(program as string);
      expect(`${parsed?.instance}/${parsed?.daemon}`).toBe(program);
    }
  });
});
