/** The mapper of every log path Vigil maps specifically; any other path gets the common fields only. */
import type { LogMapper } from '../mapper';
import { authenticationMappers } from './authentication';
import { connMappers } from './conn';
import { dhcpMappers } from './dhcp';
import { diagnosticsMappers } from './diagnostics';
import { dnsMappers } from './dns';
import { filesMappers } from './files';
import { ftpMappers } from './ftp';
import { httpMappers } from './http';
import { icsFamilies, icsMappers } from './ics';
import { inventoryMappers } from './inventory';
import { noticeMappers } from './notice';
import { protocolMappers } from './protocols';
import { smbMappers } from './smb';
import { smtpMappers } from './smtp';
import { sslMappers } from './ssl';

const BY_PATH: ReadonlyMap<string, LogMapper> = new Map(
  Object.entries({
    ...connMappers,
    ...dnsMappers,
    ...httpMappers,
    ...sslMappers,
    ...filesMappers,
    ...smtpMappers,
    ...noticeMappers,
    ...dhcpMappers,
    ...authenticationMappers,
    ...ftpMappers,
    ...smbMappers,
    ...protocolMappers,
    ...inventoryMappers,
    ...diagnosticsMappers,
    ...icsMappers,
  }),
);

/** Paths with a mapper of their own, for reports and tests. */
export const MAPPED_PATHS: readonly string[] = [...BY_PATH.keys()].sort();

/** The mapper of a log path: its own, else its ICS parser family's, else undefined. */
export function mapperFor(path: string): LogMapper | undefined {
  const own = BY_PATH.get(path);
  if (own !== undefined) return own;
  for (const [prefix, mapper] of icsFamilies) if (path.startsWith(prefix)) return mapper;
  return undefined;
}
