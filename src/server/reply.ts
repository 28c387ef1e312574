// The one place errors become Docker replies. NetworkDriver and Plugin failures are HTTP 200 {"Err": ...};
// IpamDriver failures are HTTP 200 {"Error": ...} (dockerd's IPAM client reads only that key). Transport
// problems (bad JSON, unknown method) are non-200 {"Err": ...}, which dockerd reads for any interface.
// Unexpected errors show only a request id; their stack goes to the log.
import { isPluginError } from '../errors.ts';
import type { Interface } from './routes.ts';

export interface DockerReply { status: number; body: Record<string, unknown> }

export function errorText(err: unknown, requestId: string): string {
  if (isPluginError(err) && err.code !== 'ERR_INTERNAL') return `${err.code}: ${err.message}`;
  return `ERR_INTERNAL: unexpected error, see the plugin log for request ${requestId}`;
}

export function errorReply(iface: Interface, err: unknown, requestId: string): DockerReply {
  const text = errorText(err, requestId);
  return { status: 200, body: iface === 'ipam' ? { Error: text } : { Err: text } };
}

export function transportErrorReply(status: number, message: string): DockerReply {
  return { status, body: { Err: message } };
}
