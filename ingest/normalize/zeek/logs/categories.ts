/**
 * ECS `event.category` and `event.type` values used by the mappers, each a shared frozen array. Only values ECS
 * allows: a type must be one the category permits (network: connection, protocol, info; authentication: info;
 * file: info; email: info; intrusion_detection: info; threat: indicator).
 */
import { values } from '../mapper';

export const NETWORK = values('network');
export const NETWORK_AUTHENTICATION = values('network', 'authentication');
export const NETWORK_EMAIL = values('network', 'email');
export const NETWORK_FILE = values('network', 'file');
export const NETWORK_WEB = values('network', 'web');
export const FILE = values('file');
export const INTRUSION_DETECTION = values('intrusion_detection');
export const THREAT = values('threat');

export const CONNECTION = values('connection');
export const PROTOCOL = values('protocol');
export const PROTOCOL_INFO = values('protocol', 'info');
export const INFO = values('info');
export const INDICATOR = values('indicator');
