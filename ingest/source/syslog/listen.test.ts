import { formatListenAddress, parseListenList } from './listen';

describe('parseListenList', () => {
  it('reads UDP and TCP addresses of either family', () => {
    expect(parseListenList('udp://127.0.0.1:5514,tcp://127.0.0.1:5514')).toEqual([
      { transport: 'udp', host: '127.0.0.1', port: 5514 },
      { transport: 'tcp', host: '127.0.0.1', port: 5514 },
    ]);
    expect(parseListenList(' tcp://[::1]:6514 , udp://0.0.0.0:514 ')).toEqual([
      { transport: 'tcp', host: '::1', port: 6514 },
      { transport: 'udp', host: '0.0.0.0', port: 514 },
    ]);
  });

  it('writes an address back the way it is given', () => {
    for (const given of ['udp://127.0.0.1:5514', 'tcp://[::1]:6514', 'tcp://[::]:514']) {
      expect(formatListenAddress(parseListenList(given)[0])).toBe(given);
    }
  });

  it('names the bad entry and says what is wrong with it', () => {
    const fails = (list: string, message: RegExp) => {
      expect(() => parseListenList(list)).toThrow(expect.objectContaining({ code: 'VIGIL_USAGE', message: expect.stringMatching(message) }));
    };
    fails('udp://127.0.0.1:5514,tls://127.0.0.1:6514', /"tls:\/\/127\.0\.0\.1:6514" \(entry 2 of 2 .*not of the form udp:\/\/host:port/);
    fails('udp://127.0.0.1', /"udp:\/\/127\.0\.0\.1" \(entry 1 of 1/);
    fails('udp://127.0.0.1:5514,', /"" \(entry 2 of 2/);
    fails('tcp://mail.example.com:514', /"tcp:\/\/mail\.example\.com:514".*not an IP address/);
    fails('tcp://127.0.0.1:70000', /port 70000, which is not between 0 and 65535/);
    fails('tcp://::1:514', /not of the form/);
    fails('tcp://[127.0.0.1]:514', /brackets around a host that is not an IPv6 address/);
    fails('udp://127.0.0.1:5514,udp://127.0.0.1:5514', /udp:\/\/127\.0\.0\.1:5514 is given twice/);
  });

  it('lets the same port be used by both transports and by both families', () => {
    expect(parseListenList('udp://127.0.0.1:514,tcp://127.0.0.1:514,udp://[::1]:514')).toHaveLength(3);
  });
});
