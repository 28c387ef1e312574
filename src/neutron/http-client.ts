// The real NeutronClient: Neutron v2.0 REST over undici `request`, with Keystone tokens (keystone.ts) or
// noauth. Owns URL/query building, pagination, the per-call timeout, retry of idempotent reads and the one
// re-auth after a 401; every failure leaves here as a typed PluginError (errors.ts). It must not log or
// embed tokens, passwords or request bodies, and must not hold any plugin policy (naming, tags, ownership).
import { readFileSync } from 'node:fs';

import { Agent, request, type Dispatcher } from 'undici';

import { ConfigError, PluginError, UnavailableError } from '../errors.ts';
import type { NeutronAuthConfig } from '../config/types.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import type { NeutronClient, TaggableResource } from './client.ts';
import { createNeutronError, neutronErrorFromResponse, neutronTransportError } from './errors.ts';
import {
  createKeystoneSession, describeIdentity, normalizeNeutronBase, redactUrl, type EndpointInterface, type KeystoneSession,
} from './keystone.ts';
import type {
  NeutronAgent, NeutronQosPolicy, NeutronNetwork, NeutronPort, NeutronQuery, NeutronSecurityGroup, NeutronSecurityGroupRule, NeutronSubnet,
  NeutronSubnetPool,
} from './types.ts';

export interface NeutronLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
}

export interface NeutronHttpClientOptions {
  auth: NeutronAuthConfig;
  regionName?: string | undefined;
  endpointType: EndpointInterface;
  /** per-call timeout (headers and body), ms */
  timeoutMs: number;
  /** PEM CA bundle for https Keystone/Neutron; used only when the client builds its own Agent */
  cafile?: string | undefined;
  /** skip TLS verification; used only when the client builds its own Agent */
  insecure?: boolean | undefined;
  /** transport; tests pass a MockAgent. Default: an undici Agent owned (and closed) by the client */
  dispatcher?: Dispatcher | undefined;
  clock?: Clock | undefined;
  logger?: NeutronLogger | undefined;
  /** observes every HTTP exchange with Neutron (metrics); `status` null = no answer (transport failure) */
  onCall?: ((call: { method: string; path: string; status: number | null; ms: number }) => void) | undefined;
  /** GET retry policy: attempts (default 3) and first back-off (default 200 ms, doubled each time) */
  retry?: { attempts?: number | undefined; backoffMs?: number | undefined } | undefined;
}

export interface NeutronHttpClient extends NeutronClient {
  /** Neutron target for logs, without credentials */
  describe(): string;
  /** Closes the Agent the client created (a caller-supplied dispatcher is left alone). */
  close(): Promise<void>;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const RETRY_STATUSES = new Set([502, 503, 504]);
const MAX_PAGES = 10_000;

// RFC 3986 allows these literally in a query; keeping them readable makes logs and mocks easier to read.
function encodeQueryComponent(s: string): string {
  return encodeURIComponent(s).replace(/%2C/gi, ',').replace(/%3A/gi, ':').replace(/%2F/gi, '/').replace(/%40/gi, '@');
}

/**
 * `{name:'x', fixed_ips:['subnet_id=a','ip_address=b'], tags:'a,b'}` →
 * `name=x&fixed_ips=subnet_id%3Da&fixed_ips=ip_address%3Db&tags=a,b`. Arrays repeat the key; undefined is
 * skipped. Pure.
 */
export function encodeNeutronQuery(q: NeutronQuery | undefined): string {
  if (q === undefined) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(q)) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] = Array.isArray(value) ? value : [value as string | number | boolean];
    for (const v of values) parts.push(`${encodeQueryComponent(key)}=${encodeQueryComponent(String(v))}`);
  }
  return parts.join('&');
}

/** A one-line description of where Neutron calls go, safe for logs (no credentials). */
export function describeNeutronTarget(
  auth: NeutronAuthConfig, regionName?: string | undefined, endpointType: EndpointInterface = 'public',
): string {
  if (auth.type === 'none') return `Neutron ${redactUrl(auth.endpointOverride)} (noauth)`;
  const who = auth.type === 'v3applicationcredential' ? describeIdentity(auth)
    : `user ${auth.userId !== undefined && auth.userId !== '' ? `id ${auth.userId}` : auth.username ?? '?'}`;
  const where = auth.endpointOverride !== undefined && auth.endpointOverride !== ''
    ? redactUrl(auth.endpointOverride)
    : `catalog network/${endpointType}${regionName !== undefined && regionName !== '' ? `/${regionName}` : ''}`;
  return `Neutron ${where} (Keystone ${redactUrl(auth.authUrl)}, ${who})`;
}

function validateBaseUrl(raw: string, what: string): void {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_VALUE', `${what} is not a URL: ${redactUrl(raw)}`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError('ERR_CONFIG_VALUE', `${what} must be http(s): ${redactUrl(raw)}`);
  }
}

function createOwnAgent(opts: NeutronHttpClientOptions): Agent {
  let ca: Buffer | undefined;
  if (opts.cafile !== undefined && opts.cafile !== '') {
    try {
      ca = readFileSync(opts.cafile);
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_VALUE', `[neutron] cafile ${opts.cafile} cannot be read`, { cause });
    }
  }
  return new Agent({
    connections: 16,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: {
      timeout: opts.timeoutMs,
      rejectUnauthorized: opts.insecure !== true,
      ...(ca === undefined ? {} : { ca }),
    },
  });
}

function isRetryableRead(err: unknown): boolean {
  if (!(err instanceof UnavailableError)) return false;
  const status = err.details['status'];
  return status === null || status === undefined || (typeof status === 'number' && RETRY_STATUSES.has(status));
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function badAnswer(method: Method, path: string, what: string): UnavailableError {
  return new UnavailableError('ERR_NEUTRON_UNAVAILABLE', `${method} ${path}: unexpected answer: ${what}`, {
    details: { status: null, type: null, method, path },
  });
}

export function createNeutronHttpClient(opts: NeutronHttpClientOptions): NeutronHttpClient {
  const clock = opts.clock ?? systemClock;
  const attempts = Math.max(1, opts.retry?.attempts ?? 3);
  const backoffMs = opts.retry?.backoffMs ?? 200;
  const logger = opts.logger;
  const auth = opts.auth;

  if (auth.type === 'none') validateBaseUrl(auth.endpointOverride, '[neutron] endpoint_override');
  else if (auth.endpointOverride !== undefined && auth.endpointOverride !== '') {
    validateBaseUrl(auth.endpointOverride, '[neutron] endpoint_override');
  }

  const ownAgent = opts.dispatcher === undefined ? createOwnAgent(opts) : undefined;
  const dispatcher: Dispatcher = opts.dispatcher ?? (ownAgent as Agent);
  const keystone: KeystoneSession | undefined = auth.type !== 'none'
    ? createKeystoneSession({
      auth, regionName: opts.regionName, endpointType: opts.endpointType, timeoutMs: opts.timeoutMs, dispatcher, clock,
    })
    : undefined;
  const target = describeNeutronTarget(auth, opts.regionName, opts.endpointType);

  async function baseUrl(): Promise<string> {
    if (keystone !== undefined) return keystone.endpoint();
    return normalizeNeutronBase((auth as { endpointOverride: string }).endpointOverride);
  }

  /** One HTTP exchange; returns status + body text. Transport failures become UnavailableError. */
  async function send(
    method: Method, url: URL, body: unknown, token: string | undefined,
  ): Promise<{ status: number; text: string }> {
    const path = `${url.pathname}${url.search}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, opts.timeoutMs);
    const started = clock.now();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers['x-auth-token'] = token;
    try {
      const res = await request(url, {
        method,
        dispatcher,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: controller.signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      const text = await res.body.text();
      logger?.debug({ method, path, status: res.statusCode, ms: clock.now() - started }, 'neutron call');
      opts.onCall?.({ method, path, status: res.statusCode, ms: clock.now() - started });
      return { status: res.statusCode, text };
    } catch (cause) {
      logger?.debug({ method, path, status: null, ms: clock.now() - started, timedOut }, 'neutron call failed');
      opts.onCall?.({ method, path, status: null, ms: clock.now() - started });
      throw neutronTransportError(cause, { method, path }, timedOut ? { timedOutAfterMs: opts.timeoutMs } : {});
    } finally {
      clearTimeout(timer);
    }
  }

  /** One logical call: auth, the 401 re-auth, error mapping. `target` is a path (+query) or an absolute URL. */
  async function exchange(method: Method, pathOrUrl: string, body: unknown): Promise<unknown> {
    const base = await baseUrl();
    const url = /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(`${base}${pathOrUrl}`);
    const path = `${url.pathname}${url.search}`;
    let token = keystone === undefined ? undefined : await keystone.token();
    let res = await send(method, url, body, token);
    if (res.status === 401 && keystone !== undefined) {
      // Token revoked or expired early: Neutron did not act on the request, so even a POST may be re-sent.
      keystone.invalidate(token);
      token = await keystone.token();
      res = await send(method, url, body, token);
    }
    if (res.status >= 400) throw neutronErrorFromResponse(res.status, res.text, { method, path });
    if (res.text.trim() === '') return null;
    try {
      return JSON.parse(res.text) as unknown;
    } catch (cause) {
      throw new UnavailableError('ERR_NEUTRON_UNAVAILABLE', `${method} ${path}: ${res.status} answer is not JSON`, {
        cause, details: { status: res.status, type: null, method, path },
      });
    }
  }

  /** exchange() with the read retry: GET only, on transport errors and 502/503/504. */
  async function call(method: Method, pathOrUrl: string, body?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await exchange(method, pathOrUrl, body);
      } catch (err) {
        if (method !== 'GET' || attempt >= attempts || !isRetryableRead(err)) throw err;
        const wait = backoffMs * 2 ** (attempt - 1);
        logger?.debug({ method, path: pathOrUrl, attempt, waitMs: wait, code: (err as PluginError).code }, 'neutron retry');
        await clock.sleep(wait);
      }
    }
  }

  /** `collection` is the URL segment; `key` the answer's list key (they differ for security-groups) */
  async function list<T>(collection: string, q: NeutronQuery | undefined, key: string = collection): Promise<T[]> {
    const qs = encodeNeutronQuery(q);
    let next: string | undefined = `/v2.0/${collection}${qs === '' ? '' : `?${qs}`}`;
    const out: T[] = [];
    const seen = new Set<string>();
    for (let page = 0; next !== undefined; page += 1) {
      if (page >= MAX_PAGES || seen.has(next)) break;
      seen.add(next);
      const data = asObject(await call('GET', next));
      const items = data?.[key];
      if (!Array.isArray(items)) throw badAnswer('GET', next, `no "${key}" list`);
      out.push(...(items as T[]));
      next = await nextLink(data?.[`${key}_links`]);
    }
    return out;
  }

  async function nextLink(links: unknown): Promise<string | undefined> {
    if (!Array.isArray(links)) return undefined;
    for (const l of links) {
      const rec = asObject(l);
      if (rec?.['rel'] !== 'next' || typeof rec['href'] !== 'string') continue;
      // Neutron builds hrefs from its own idea of its host and path (wrong behind a proxy): keep only the
      // part from /v2.0/ on, plus the query, under our own base URL.
      const base = await baseUrl();
      const href = new URL(rec['href'], `${base}/`);
      const at = href.pathname.indexOf('/v2.0/');
      return `${base}${at >= 0 ? href.pathname.slice(at) : href.pathname}${href.search}`;
    }
    return undefined;
  }

  async function getOne<T>(collection: string, key: string, id: string): Promise<T> {
    const path = `/v2.0/${collection}/${encodeURIComponent(id)}`;
    const obj = asObject(asObject(await call('GET', path))?.[key]);
    if (obj === undefined) throw badAnswer('GET', path, `no "${key}" object`);
    return obj as T;
  }

  async function write<T>(method: 'POST' | 'PUT', path: string, key: string, body: unknown): Promise<T> {
    const obj = asObject(asObject(await call(method, path, { [key]: body }))?.[key]);
    if (obj === undefined) throw badAnswer(method, path, `no "${key}" object`);
    return obj as T;
  }

  async function remove(collection: string, id: string): Promise<void> {
    await call('DELETE', `/v2.0/${collection}/${encodeURIComponent(id)}`);
  }

  function tagsPath(resource: TaggableResource, id: string): string {
    return `/v2.0/${resource}/${encodeURIComponent(id)}/tags`;
  }

  async function getTags(resource: TaggableResource, id: string): Promise<string[]> {
    const path = tagsPath(resource, id);
    const tags = asObject(await call('GET', path))?.['tags'];
    if (!Array.isArray(tags)) throw badAnswer('GET', path, 'no "tags" list');
    return tags.filter((t): t is string => typeof t === 'string');
  }

  return {
    describe: () => target,
    async close() {
      if (ownAgent !== undefined) await ownAgent.close();
    },

    listNetworks: (q) => list<NeutronNetwork>('networks', q),
    getNetwork: (id) => getOne<NeutronNetwork>('networks', 'network', id),
    createNetwork: (body) => write<NeutronNetwork>('POST', '/v2.0/networks', 'network', body),
    updateNetwork: (id, body) => write<NeutronNetwork>('PUT', `/v2.0/networks/${encodeURIComponent(id)}`, 'network', body),
    deleteNetwork: (id) => remove('networks', id),

    listSubnets: (q) => list<NeutronSubnet>('subnets', q),
    getSubnet: (id) => getOne<NeutronSubnet>('subnets', 'subnet', id),
    createSubnet: (body) => write<NeutronSubnet>('POST', '/v2.0/subnets', 'subnet', body),
    deleteSubnet: (id) => remove('subnets', id),

    listSubnetPools: (q) => list<NeutronSubnetPool>('subnetpools', q),
    getSubnetPool: (id) => getOne<NeutronSubnetPool>('subnetpools', 'subnetpool', id),
    createSubnetPool: (body) => write<NeutronSubnetPool>('POST', '/v2.0/subnetpools', 'subnetpool', body),
    deleteSubnetPool: (id) => remove('subnetpools', id),

    listPorts: (q) => list<NeutronPort>('ports', q),
    getPort: (id) => getOne<NeutronPort>('ports', 'port', id),
    createPort: (body) => write<NeutronPort>('POST', '/v2.0/ports', 'port', body),
    updatePort: (id, body) => write<NeutronPort>('PUT', `/v2.0/ports/${encodeURIComponent(id)}`, 'port', body),
    deletePort: (id) => remove('ports', id),

    listSecurityGroups: (q) => list<NeutronSecurityGroup>('security-groups', q, 'security_groups'),
    createSecurityGroup: (body) => write<NeutronSecurityGroup>('POST', '/v2.0/security-groups', 'security_group', body),
    deleteSecurityGroup: (id) => remove('security-groups', id),
    createSecurityGroupRule: (body) =>
      write<NeutronSecurityGroupRule>('POST', '/v2.0/security-group-rules', 'security_group_rule', body),

    async addTag(resource, id, tag) {
      if (!tag.includes('/')) {
        await call('PUT', `${tagsPath(resource, id)}/${encodeURIComponent(tag)}`);
        return;
      }
      // Neutron's router decodes %2F before matching, so PUT .../tags/a%2Fb is a 404. A '/' tag can only
      // go through the replace-all form: read, add, write back (not atomic against a concurrent tagger).
      const tags = await getTags(resource, id);
      if (tags.includes(tag)) return;
      await call('PUT', tagsPath(resource, id), { tags: [...tags, tag] });
    },

    async removeTag(resource, id, tag) {
      const single = `${tagsPath(resource, id)}/${encodeURIComponent(tag)}`;
      if (!tag.includes('/')) {
        await call('DELETE', single);
        return;
      }
      const tags = await getTags(resource, id);
      if (!tags.includes(tag)) {
        throw createNeutronError({
          status: 404, type: 'TagNotFound', message: `Tag ${tag} could not be found.`, method: 'DELETE', path: single,
        });
      }
      await call('PUT', tagsPath(resource, id), { tags: tags.filter((t) => t !== tag) });
    },

    async hasExtension(alias) {
      try {
        await call('GET', `/v2.0/extensions/${encodeURIComponent(alias)}`);
        return true;
      } catch (err) {
        if (err instanceof PluginError && err.code === 'ERR_NEUTRON_NOT_FOUND') return false;
        throw err;
      }
    },

    listAgents: (q) => list<NeutronAgent>('agents', q),
    getQosPolicy: (id) => getOne<NeutronQosPolicy>('qos/policies', 'policy', id),
  };
}
