import { LookalikeIndex } from '../../features/lookalike';
import { DomainWindow, lookalikeScore } from './domains';

describe('sender organisations of a window', () => {
  it('adds up messages and verdicts per organisation, keeping the names written', () => {
    const w = new DomainWindow();
    w.addMessages({ organisation: 'sendgrid.net', domain: 'sendgrid.net', sender: 'a@sendgrid.net', client: '167.89.17.173', messages: 2, first: 50, recipients: ['x@vigil.test'] });
    w.addMessages({ organisation: 'sendgrid.net', domain: 'em.sendgrid.net', sender: 'b@em.sendgrid.net', messages: 1, first: 10, recipients: ['y@vigil.test', 'x@vigil.test'] });
    w.addVerdict('sendgrid.net', 'sendgrid.net', 'dmarc', 'pass', 3, 60);
    w.addVerdict('sendgrid.net', 'sendgrid.net', 'spf', 'fail', 1, 60);
    w.addVerdict('sendgrid.net', 'sendgrid.net', 'dkim', undefined, 2, 60);
    const e = w.entries.get('sendgrid.net')!;
    expect(e.messages).toBe(3);
    expect(e.first).toBe(10);
    expect([...e.names].sort()).toEqual(['em.sendgrid.net', 'sendgrid.net']);
    expect([...e.recipients].sort()).toEqual(['x@vigil.test', 'y@vigil.test']);
    expect([...e.clients]).toEqual(['167.89.17.173']);
    expect(e.auth).toEqual({ dmarc: { pass: 3, fail: 0 }, spf: { pass: 0, fail: 1 } });
    expect(e.authOther).toBe(2);
  });

  it('scores the deceptive kinds of lookalike highest, and halves an established correspondent', () => {
    const index = new LookalikeIndex(['vigil.test']);
    const homoglyph = index.match('vigi1.test')!;
    const typo = index.match('vigli.test')!;
    const suffix = index.match('vigil.example')!;
    expect(homoglyph.kind).toBe('homoglyph');
    expect(typo.kind).toBe('edit');
    expect(suffix.kind).toBe('tld-swap');
    expect(lookalikeScore(homoglyph, false)).toBeGreaterThan(lookalikeScore(typo, false));
    expect(lookalikeScore(typo, false)).toBeGreaterThan(lookalikeScore(suffix, false));
    expect(lookalikeScore(suffix, false)).toBeGreaterThanOrEqual(80);
    expect(lookalikeScore(homoglyph, true)).toBeLessThan(60);
  });
});
