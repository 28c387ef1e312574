// Translates Neutron/Keystone HTTP failures (status + body, or a transport error) into the plugin's typed
// errors. Pure: no I/O. Messages carry method, path, status and Neutron's type/message only — never tokens,
// headers or request bodies. The fake Neutron builds its errors here too, so both look the same to callers.
import {
  ConflictError, InvalidRequestError, NotFoundError, PluginError, UnavailableError,
} from '../errors.ts';

/** Where a failed call went: method and path (query string included, it never holds secrets). */
export interface NeutronCallSite {
  method: string;
  path: string;
}

/** What Neutron (or keystonemiddleware) said, as far as the body could be read. */
export interface NeutronErrorBody {
  /** NeutronError.type (IpAddressAlreadyAllocated, PortBound, SubnetInUse, ...) or the keystone title */
  type: string | undefined;
  message: string | undefined;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const MAX_MESSAGE = 500;

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads `{"NeutronError":{type,message,detail}}`, keystonemiddleware's `{"error":{code,title,message}}`
 * and the older `{"NeutronError": "text"}`; anything else (HTML 404 pages, empty bodies) gives no type.
 */
export function parseNeutronErrorBody(text: string): NeutronErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { type: undefined, message: undefined };
  }
  const root = asRecord(parsed);
  if (root === undefined) return { type: undefined, message: undefined };
  const ne = root['NeutronError'];
  if (typeof ne === 'string') return { type: undefined, message: asString(ne) };
  const neRec = asRecord(ne);
  if (neRec !== undefined) {
    return { type: asString(neRec['type']), message: asString(neRec['message']) };
  }
  const ks = asRecord(root['error']);
  if (ks !== undefined) {
    return { type: asString(ks['title']), message: asString(ks['message']) };
  }
  return { type: undefined, message: undefined };
}

function clip(s: string): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_MESSAGE ? `${oneLine.slice(0, MAX_MESSAGE)}…` : oneLine;
}

export interface NeutronErrorInit extends NeutronCallSite {
  status: number;
  type?: string | undefined;
  message?: string | undefined;
  cause?: unknown;
}

/**
 * Builds the typed error for an HTTP failure. Message: `<METHOD> <path>: <status> <type>: <message>`;
 * details: `{status, type, method, path}` (callers branch on details.type).
 */
export function createNeutronError(init: NeutronErrorInit): PluginError {
  const { status, method, path } = init;
  const type = init.type;
  const head = `${method} ${path}: ${status}${type === undefined ? '' : ` ${type}`}`;
  const text = init.message !== undefined ? clip(init.message) : STATUS_TEXT[status] ?? 'HTTP error';
  const message = `${head}: ${text}`;
  const details = { status, type: type ?? null, method, path };
  const base = init.cause === undefined ? { details } : { details, cause: init.cause };

  if (status === 404) return new NotFoundError('ERR_NEUTRON_NOT_FOUND', message, base);
  if (status === 409) return new ConflictError('ERR_NEUTRON_CONFLICT', message, base);
  if (status === 401) return new PluginError('ERR_NEUTRON_AUTH', message, base);
  if (status === 403) return new PluginError('ERR_NEUTRON_FORBIDDEN', message, base);
  if (status >= 500) {
    // Neutron answers 500 for some deterministic failures that carry a NeutronError type (pool exhausted:
    // SubnetAllocationError); repeating those cannot help. Gateway errors and bare 5xx are transient.
    const retryable = !(status === 500 && type !== undefined && type !== 'HTTPInternalServerError');
    return new UnavailableError('ERR_NEUTRON_UNAVAILABLE', message, { ...base, retryable });
  }
  if (status === 429) {
    return new UnavailableError('ERR_NEUTRON_UNAVAILABLE', message, { ...base, retryable: true });
  }
  return new InvalidRequestError('ERR_NEUTRON_BAD_REQUEST', message, base);
}

/** An HTTP error answer: status + raw body text → typed error. */
export function neutronErrorFromResponse(status: number, bodyText: string, site: NeutronCallSite): PluginError {
  const body = parseNeutronErrorBody(bodyText);
  return createNeutronError({ ...site, status, type: body.type, message: body.message });
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT',
]);

/** The error code of a transport failure (undici `UND_ERR_*` or errno like ECONNREFUSED), if any. */
export function transportErrorCode(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur !== undefined && cur !== null; depth += 1) {
    const rec = asRecord(cur);
    const code = rec === undefined ? undefined : asString(rec['code']);
    if (code !== undefined) return code;
    // AggregateError (happy-eyeballs connect) carries its codes on the inner errors
    const inner = rec?.['errors'];
    if (Array.isArray(inner) && inner.length > 0) {
      cur = inner[0];
      continue;
    }
    cur = rec?.['cause'];
  }
  return undefined;
}

/** Connect failures, resets, timeouts: no (complete) answer came back. Always UnavailableError, retryable. */
export function neutronTransportError(
  err: unknown, site: NeutronCallSite, opts: { timedOutAfterMs?: number; service?: string } = {},
): UnavailableError {
  const service = opts.service ?? 'Neutron';
  const code = transportErrorCode(err);
  let what: string;
  if (opts.timedOutAfterMs !== undefined) {
    what = `no answer from ${service} within ${opts.timedOutAfterMs} ms`;
  } else if (code !== undefined && TIMEOUT_CODES.has(code)) {
    what = `${service} timed out (${code})`;
  } else {
    what = `${service} unreachable${code === undefined ? '' : ` (${code})`}`;
  }
  return new UnavailableError('ERR_NEUTRON_UNAVAILABLE', `${site.method} ${site.path}: ${what}`, {
    cause: err,
    retryable: true,
    details: { status: null, type: null, method: site.method, path: site.path, code: code ?? null },
  });
}

/** The Neutron error type carried by a typed error (details.type), for callers that branch on it. */
export function neutronErrorType(err: unknown): string | undefined {
  if (!(err instanceof PluginError)) return undefined;
  const t = err.details['type'];
  return typeof t === 'string' ? t : undefined;
}
