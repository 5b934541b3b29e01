import { readZeekLog } from '../normalize/zeek/corpus.fixture';
import { isSecretFieldName, REDACTED, redactZeekSecrets } from './redact';

const BACNET = 'zeek/icsnpp/icsnpp-bacnet/testing/baseline/analyzer.services/bacnet_device_control.log';
const FTP = 'zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.base.protocols.ftp.ftp-password-pass-command/ftp.log';
const SOCKS = 'zeek/zeek-btest-baseline/testing/btest/Baseline/scripts.base.protocols.socks.socks-auth/socks.log';

describe('redactZeekSecrets', () => {
  it('replaces the BACnet device-control password and leaves the record it was given alone', () => {
    const record = readZeekLog(BACNET).find((r) => r.fields.password === 'filister');
    expect(record).toBeDefined();
    const result = redactZeekSecrets(record!.path, record!.fields, record!.types);
    expect(result?.redacted).toEqual(['password']);
    expect(result?.fields.password).toBe(REDACTED);
    expect(result?.fields.device_state).toBe('disable');
    expect(record!.fields.password).toBe('filister');
  });

  it('keeps an empty password, which reveals nothing and is worth seeing', () => {
    const record = readZeekLog(BACNET).find((r) => r.fields.password === '');
    expect(record).toBeDefined();
    expect(redactZeekSecrets(record!.path, record!.fields, record!.types)).toBeUndefined();
  });

  it('replaces the FTP password and the argument of the PASS command, not the user name', () => {
    const [user, pass] = readZeekLog(FTP);
    expect(redactZeekSecrets(user.path, user.fields, user.types)).toBeUndefined();
    const result = redactZeekSecrets(pass.path, pass.fields, pass.types);
    expect(result?.redacted.sort()).toEqual(['arg', 'password']);
    expect(result?.fields).toMatchObject({ user: 'Admin', password: REDACTED, arg: REDACTED, command: 'PASS' });
  });

  it('replaces the SNMP community in TSV and in JSON logs', () => {
    for (const file of ['zeek/zed-sample-data/zeek-default/snmp.log.gz', 'zeek/zed-sample-data/zeek-json/snmp.json.gz']) {
      const record = readZeekLog(file).find((r) => typeof r.fields.community === 'string' && r.fields.community !== '');
      expect(record).toBeDefined();
      const result = redactZeekSecrets(record!.path, record!.fields, record!.types);
      expect(result?.redacted).toEqual(['community']);
      expect(result?.fields.community).toBe(REDACTED);
      expect(result?.fields['id.orig_h']).toBe(record!.fields['id.orig_h']);
    }
  });

  it('replaces the SOCKS password', () => {
    const [record] = readZeekLog(SOCKS);
    const result = redactZeekSecrets(record.path, record.fields, record.types);
    expect(result?.fields).toMatchObject({ user: 'bob', password: REDACTED });
  });

  it('finds nothing in a DNS log', () => {
    const records = readZeekLog('zeek/zed-sample-data/zeek-json/dns.json.gz').slice(0, 1000);
    expect(records.length).toBe(1000);
    for (const r of records) expect(redactZeekSecrets(r.path, r.fields, r.types)).toBeUndefined();
  });
});

describe('isSecretFieldName', () => {
  it.each(['password', 'user_token_password', 'data.passwd', 'community', 'client_secret'])('%s is a secret', (name) => {
    expect(isSecretFieldName(name)).toBe(true);
  });
  it.each(['community_id', 'user', 'pass_count', 'auth_ticket_sha256', 'client_random'])('%s is not', (name) => {
    expect(isSecretFieldName(name)).toBe(false);
  });
});
