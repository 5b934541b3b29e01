/** `http` (one record per request/response pair) and `websocket`: ECS `http.*`, `url.*`, `user_agent`. */
import type { EcsDocument } from '../context';
import { hasAny, part, type LogMapper } from '../mapper';
import { relateHost, relateUser } from '../related';
import { firstString, num, str, type ZeekFields } from '../values';
import { NETWORK_WEB, PROTOCOL } from './categories';

/** `host:port`, `[v6]:port`, a bare name or address -> the name or address alone. */
export function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    return close < 0 ? host : host.slice(1, close);
  }
  const colon = host.indexOf(':');
  // More than one colon: an IPv6 address without brackets, which has no port.
  return colon < 0 || host.indexOf(':', colon + 1) >= 0 ? host : host.slice(0, colon);
}

/** ECS `url.*` from the Host header and the request target. */
export function setUrl(doc: EcsDocument, host: string | undefined, uri: string | undefined): void {
  if (host === undefined && uri === undefined) return;
  const url: Record<string, unknown> = {};
  if (uri !== undefined) {
    url.original = uri;
    // Only origin-form targets (`/path?query`) split into path and query; absolute and authority forms do not.
    if (uri.charCodeAt(0) === 0x2f) {
      const q = uri.indexOf('?');
      url.path = q < 0 ? uri : uri.slice(0, q);
      if (q >= 0 && q + 1 < uri.length) url.query = uri.slice(q + 1);
    }
  }
  if (host !== undefined) {
    const domain = hostWithoutPort(host);
    url.domain = domain;
    relateHost(doc, domain);
  }
  doc.url = url;
}

function mapHttp(f: ZeekFields, doc: EcsDocument): void {
  const http: Record<string, unknown> = {};
  const method = str(f.method);
  const referrer = str(f.referrer);
  const requestBytes = num(f.request_body_len);
  const requestMime = firstString(f.orig_mime_types);
  if (method !== undefined || referrer !== undefined || requestBytes !== undefined || requestMime !== undefined) {
    const request: Record<string, unknown> = {};
    if (method !== undefined) request.method = method;
    if (referrer !== undefined) request.referrer = referrer;
    if (requestBytes !== undefined) request.body = { bytes: requestBytes };
    if (requestMime !== undefined) request.mime_type = requestMime;
    http.request = request;
  }
  const status = num(f.status_code);
  const responseBytes = num(f.response_body_len);
  const responseMime = firstString(f.resp_mime_types);
  if (status !== undefined || responseBytes !== undefined || responseMime !== undefined) {
    const response: Record<string, unknown> = {};
    if (status !== undefined) response.status_code = status;
    if (responseBytes !== undefined) response.body = { bytes: responseBytes };
    if (responseMime !== undefined) response.mime_type = responseMime;
    http.response = response;
    if (status !== undefined && status >= 200) doc.event.outcome = status < 400 ? 'success' : 'failure';
  }
  const version = str(f.version);
  if (version !== undefined) http.version = version;
  if (hasAny(http)) doc.http = http;

  setUrl(doc, str(f.host), str(f.uri));
  const agent = str(f.user_agent);
  if (agent !== undefined) doc.user_agent = { original: agent };
  const user = str(f.username);
  if (user !== undefined) {
    part(doc, 'user').name = user;
    relateUser(doc, user);
  }
}

function mapWebsocket(f: ZeekFields, doc: EcsDocument): void {
  setUrl(doc, str(f.host), str(f.uri));
  const agent = str(f.user_agent);
  if (agent !== undefined) doc.user_agent = { original: agent };
}

export const httpMappers: Record<string, LogMapper> = {
  http: { category: NETWORK_WEB, type: PROTOCOL, protocol: 'http', transport: 'tcp', map: mapHttp },
  websocket: { category: NETWORK_WEB, type: PROTOCOL, protocol: 'websocket', transport: 'tcp', map: mapWebsocket },
};
