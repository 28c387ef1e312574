// Keystone v3 authentication for the Neutron client (password or application credential): builds the auth
// request, caches the token (refreshed before it expires: min(60 s, a quarter of its lifetime) ahead; on
// demand after a 401), shares one login between concurrent callers and picks Neutron's URL from the catalog.
// Owns only the token and the catalog; never logs or puts a password, secret or token into any message.
// Transport (undici Dispatcher) and time (Clock) are injected so tests run on MockAgent and a fake clock.
import { request, type Dispatcher } from 'undici';

import { ConfigError, PluginError, UnavailableError } from '../errors.ts';
import type { KeystoneAuthConfig, NeutronAuthConfig } from '../config/types.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { neutronTransportError, parseNeutronErrorBody } from './errors.ts';

export type PasswordAuthConfig = Extract<NeutronAuthConfig, { type: 'password' }>;
export type ApplicationCredentialAuthConfig = Extract<NeutronAuthConfig, { type: 'v3applicationcredential' }>;
export type { KeystoneAuthConfig };
export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface KeystoneSessionOptions {
  auth: KeystoneAuthConfig;
  /** catalog region; any region when unset */
  regionName?: string | undefined;
  /** catalog interface (kuryr's [neutron] endpoint_type) */
  endpointType: EndpointInterface;
  timeoutMs: number;
  dispatcher: Dispatcher;
  clock?: Clock | undefined;
  /** catalog service type; default 'network' */
  serviceType?: string | undefined;
  /** refresh at most this long before the token expires; default 60 s (less for short-lived tokens) */
  refreshMarginMs?: number | undefined;
}

export interface KeystoneSession {
  /** A valid token: the cached one, or a fresh one when none is cached or it expires within the margin. */
  token(): Promise<string>;
  /** Neutron's base URL (no trailing slash, no /v2.0): endpointOverride, else the catalog entry. */
  endpoint(): Promise<string>;
  /** Drops the cached token after a 401. With `stale`, only if that is still the cached token. */
  invalidate(stale?: string): void;
  /** For logs: auth URL (no credentials), user, project. */
  describe(): string;
  /** How many tokens Keystone has issued to this session (for logs and tests). */
  tokensIssued(): number;
}

export interface CatalogEndpoint {
  interface: string;
  url: string;
  region?: string | null;
  region_id?: string | null;
}

export interface CatalogService {
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface CatalogQuery {
  serviceType: string;
  interface: EndpointInterface;
  region?: string | undefined;
}

const DEFAULT_REFRESH_MARGIN_MS = 60_000;
/** a token is refreshed when at most this fraction of its lifetime is left (if that is under the margin) */
export const REFRESH_FRACTION = 0.25;
/** Keystone truncates issued_at to whole seconds: a token may really expire up to 1 s before issued_at + lifetime */
const ISSUED_AT_SLACK_MS = 1_000;

/** `http://u:p@host:5000/v3/?x` → `http://host:5000/v3/?x`; unparsable input is not echoed back. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid URL>';
  }
}

/** keystoneauth accepts auth_url with or without the version; POST goes to `<base>/v3/auth/tokens`. */
export function tokensUrl(authUrl: string): string {
  let base = authUrl.trim().replace(/\/+$/, '');
  if (/\/v2\.0$/.test(base)) base = base.slice(0, -'/v2.0'.length);
  if (!/\/v3$/.test(base)) base = `${base}/v3`;
  return `${base}/auth/tokens`;
}

function domainOf(id: string | undefined, name: string | undefined): { id: string } | { name: string } {
  if (id !== undefined && id !== '') return { id };
  if (name !== undefined && name !== '') return { name };
  // keystoneauth's default domain; a name-scoped user or project needs one
  return { id: 'default' };
}

/** The `POST /v3/auth/tokens` body for password auth (contains the password: never log it). */
export function buildPasswordAuthBody(auth: PasswordAuthConfig): Record<string, unknown> {
  let user: Record<string, unknown>;
  if (auth.userId !== undefined && auth.userId !== '') {
    user = { id: auth.userId, password: auth.password };
  } else if (auth.username !== undefined && auth.username !== '') {
    user = { name: auth.username, domain: domainOf(auth.userDomainId, auth.userDomainName), password: auth.password };
  } else {
    throw new ConfigError('ERR_CONFIG_VALUE', '[neutron] password auth needs username or user_id');
  }
  const identity = { methods: ['password'], password: { user } };
  let scope: Record<string, unknown> | undefined;
  if (auth.projectId !== undefined && auth.projectId !== '') {
    scope = { project: { id: auth.projectId } };
  } else if (auth.projectName !== undefined && auth.projectName !== '') {
    scope = { project: { name: auth.projectName, domain: domainOf(auth.projectDomainId, auth.projectDomainName) } };
  }
  return { auth: scope === undefined ? { identity } : { identity, scope } };
}

/** The `POST /v3/auth/tokens` body for an application credential (contains the secret: never log it). No scope:
 * the credential is bound to its project. By name, the owning user is needed (as keystoneauth sends it). */
export function buildApplicationCredentialAuthBody(auth: ApplicationCredentialAuthConfig): Record<string, unknown> {
  const cred: Record<string, unknown> = {};
  if (auth.applicationCredentialId !== undefined && auth.applicationCredentialId !== '') {
    cred['id'] = auth.applicationCredentialId;
  } else if (auth.applicationCredentialName !== undefined && auth.applicationCredentialName !== '') {
    cred['name'] = auth.applicationCredentialName;
    if (auth.userId !== undefined && auth.userId !== '') cred['user'] = { id: auth.userId };
    else if (auth.username !== undefined && auth.username !== '') {
      cred['user'] = { name: auth.username, domain: domainOf(auth.userDomainId, auth.userDomainName) };
    } else {
      throw new ConfigError('ERR_CONFIG_VALUE', '[neutron] application_credential_name needs username or user_id');
    }
  } else {
    throw new ConfigError('ERR_CONFIG_VALUE',
      '[neutron] auth_type = v3applicationcredential needs application_credential_id or application_credential_name');
  }
  cred['secret'] = auth.applicationCredentialSecret;
  return { auth: { identity: { methods: ['application_credential'], application_credential: cred } } };
}

/** The auth request body for any Keystone auth type (contains a secret: never log it). */
export function buildAuthBody(auth: KeystoneAuthConfig): Record<string, unknown> {
  return auth.type === 'password' ? buildPasswordAuthBody(auth) : buildApplicationCredentialAuthBody(auth);
}

function describeUser(auth: KeystoneAuthConfig): string {
  if (auth.userId !== undefined && auth.userId !== '') return `id ${auth.userId}`;
  const d = domainOf(auth.userDomainId, auth.userDomainName);
  return `${auth.username ?? '?'} (domain ${'id' in d ? d.id : d.name})`;
}

/** Who authenticates, for logs and errors (no secret): `user kuryr (domain Default)`, `application credential id …`. */
export function describeIdentity(auth: KeystoneAuthConfig): string {
  if (auth.type === 'password') return `user ${describeUser(auth)}`;
  if (auth.applicationCredentialId !== undefined && auth.applicationCredentialId !== '') {
    return `application credential id ${auth.applicationCredentialId}`;
  }
  return `application credential ${auth.applicationCredentialName ?? '?'} of user ${describeUser(auth)}`;
}

function describeProject(auth: PasswordAuthConfig): string {
  if (auth.projectId !== undefined && auth.projectId !== '') return `id ${auth.projectId}`;
  if (auth.projectName !== undefined && auth.projectName !== '') return auth.projectName;
  return '(unscoped)';
}

function normalizeInterface(i: string): string {
  return i.toLowerCase().replace(/url$/, '');
}

/** Strips trailing slashes and a trailing `/v2.0` so the client can always append `/v2.0/...`. */
export function normalizeNeutronBase(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v2\.0$/, '');
}

/** Picks the endpoint URL for a service type + interface (+ region) from a v3 catalog. Pure. */
export function selectCatalogEndpoint(catalog: readonly CatalogService[], q: CatalogQuery): string {
  const seen: string[] = [];
  for (const svc of catalog) {
    for (const ep of svc.endpoints) {
      const region = ep.region_id ?? ep.region ?? null;
      seen.push(`${svc.type}/${normalizeInterface(ep.interface)}/${region ?? '-'}`);
      if (svc.type !== q.serviceType) continue;
      if (normalizeInterface(ep.interface) !== q.interface) continue;
      if (q.region !== undefined && q.region !== '' && ep.region_id !== q.region && ep.region !== q.region) continue;
      return normalizeNeutronBase(ep.url);
    }
  }
  const want = `type "${q.serviceType}", interface "${q.interface}"` +
    (q.region !== undefined && q.region !== '' ? `, region "${q.region}"` : '');
  throw new PluginError(
    'ERR_NEUTRON_AUTH',
    `the Keystone catalog has no endpoint with ${want}; it has (type/interface/region): ${seen.length === 0 ? 'nothing' : seen.join(', ')}`,
    { details: { serviceType: q.serviceType, interface: q.interface, region: q.region ?? null, catalog: seen } },
  );
}

function parseCatalog(raw: unknown): CatalogService[] {
  if (!Array.isArray(raw)) return [];
  const out: CatalogService[] = [];
  for (const s of raw) {
    if (typeof s !== 'object' || s === null) continue;
    const svc = s as Record<string, unknown>;
    if (typeof svc['type'] !== 'string' || !Array.isArray(svc['endpoints'])) continue;
    const endpoints: CatalogEndpoint[] = [];
    for (const e of svc['endpoints'] as unknown[]) {
      if (typeof e !== 'object' || e === null) continue;
      const ep = e as Record<string, unknown>;
      if (typeof ep['interface'] !== 'string' || typeof ep['url'] !== 'string') continue;
      endpoints.push({
        interface: ep['interface'],
        url: ep['url'],
        region: typeof ep['region'] === 'string' ? ep['region'] : null,
        region_id: typeof ep['region_id'] === 'string' ? ep['region_id'] : null,
      });
    }
    out.push({ type: svc['type'], ...(typeof svc['name'] === 'string' ? { name: svc['name'] } : {}), endpoints });
  }
  return out;
}

interface CachedToken {
  token: string;
  /** local epoch ms after which the token must not be used; undefined = Keystone gave none, keep until a 401 */
  expiresAt: number | undefined;
  /** local epoch ms from which a new token is fetched (the old one is still used if that fails) */
  refreshAt: number | undefined;
  catalog: CatalogService[];
}

/**
 * When to stop using a token and when to start replacing it, on the local clock. The lifetime is measured
 * Keystone-side (expires_at - issued_at) and counted from when the request was sent, so a skewed local clock
 * does not matter; issued_at is whole seconds, hence the 1 s slack. Without issued_at, expires_at is taken
 * as is. The refresh margin is min(maxMarginMs, lifetime / 4): 60 s for hour-long tokens, 5 s for 20 s ones.
 */
export function tokenTimes(
  sentAt: number, issuedAt: number | undefined, expiresAt: number | undefined, maxMarginMs: number,
): { expiresAt: number | undefined; refreshAt: number | undefined } {
  if (expiresAt === undefined) return { expiresAt: undefined, refreshAt: undefined };
  let localExpiry: number;
  let lifetime: number;
  if (issuedAt !== undefined && expiresAt > issuedAt) {
    lifetime = expiresAt - issuedAt;
    localExpiry = sentAt + lifetime - Math.min(ISSUED_AT_SLACK_MS, lifetime / 10);
  } else {
    localExpiry = expiresAt;
    lifetime = Math.max(0, expiresAt - sentAt);
  }
  const margin = Math.min(maxMarginMs, lifetime * REFRESH_FRACTION);
  return { expiresAt: localExpiry, refreshAt: localExpiry - margin };
}

export function createKeystoneSession(opts: KeystoneSessionOptions): KeystoneSession {
  const clock = opts.clock ?? systemClock;
  const maxMargin = opts.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const serviceType = opts.serviceType ?? 'network';
  const url = tokensUrl(opts.auth.authUrl);
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch (cause) {
    throw new ConfigError('ERR_CONFIG_VALUE', `[neutron] auth_url is not a URL: ${redactUrl(opts.auth.authUrl)}`, { cause });
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw new ConfigError('ERR_CONFIG_VALUE', `[neutron] auth_url must be http(s): ${redactUrl(opts.auth.authUrl)}`);
  }
  // Validates the identity options up front (ConfigError at construction, not on the first request).
  buildAuthBody(opts.auth);
  const safeAuthUrl = redactUrl(opts.auth.authUrl);
  const who = describeIdentity(opts.auth);
  const site = { method: 'POST', path: parsedUrl.pathname };

  let cached: CachedToken | undefined;
  let inflight: Promise<CachedToken> | undefined;
  let issued = 0;

  async function authenticate(): Promise<CachedToken> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, opts.timeoutMs);
    const sentAt = clock.now();
    let status: number;
    let text: string;
    let subject: string | string[] | undefined;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: opts.dispatcher,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(buildAuthBody(opts.auth)),
        signal: controller.signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      status = res.statusCode;
      subject = res.headers['x-subject-token'];
      text = await res.body.text();
    } catch (cause) {
      throw neutronTransportError(cause, site, {
        service: 'Keystone', ...(timedOut ? { timedOutAfterMs: opts.timeoutMs } : {}),
      });
    } finally {
      clearTimeout(timer);
    }

    if (status === 401) {
      throw new PluginError(
        'ERR_NEUTRON_AUTH',
        `Keystone refused the credentials for ${who} at ${safeAuthUrl} (401)`,
        { details: { status, method: site.method, path: site.path } },
      );
    }
    if (status < 200 || status >= 300) {
      const body = parseNeutronErrorBody(text);
      const msg = `Keystone at ${safeAuthUrl} answered ${status}` +
        `${body.type === undefined ? '' : ` ${body.type}`}${body.message === undefined ? '' : `: ${body.message}`}`;
      const details = { status, type: body.type ?? null, method: site.method, path: site.path };
      if (status >= 500 || status === 429) {
        throw new UnavailableError('ERR_NEUTRON_UNAVAILABLE', msg, { details, retryable: true });
      }
      throw new PluginError('ERR_NEUTRON_AUTH', msg, { details });
    }
    const token = Array.isArray(subject) ? subject[0] : subject;
    if (token === undefined || token === '') {
      throw new PluginError('ERR_NEUTRON_AUTH', `Keystone at ${safeAuthUrl} sent no X-Subject-Token header`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new PluginError('ERR_NEUTRON_AUTH', `Keystone at ${safeAuthUrl} sent a token body that is not JSON`, { cause });
    }
    const tok = (typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['token'] : undefined);
    const tokRec = typeof tok === 'object' && tok !== null ? (tok as Record<string, unknown>) : {};
    const time = (k: string): number | undefined => {
      const v = typeof tokRec[k] === 'string' ? Date.parse(tokRec[k]) : Number.NaN;
      return Number.isFinite(v) ? v : undefined;
    };
    issued += 1;
    return {
      token,
      ...tokenTimes(sentAt, time('issued_at'), time('expires_at'), maxMargin),
      catalog: parseCatalog(tokRec['catalog']),
    };
  }

  /** One login at a time: concurrent callers (and callers during a refresh) share it. */
  function login(): Promise<CachedToken> {
    if (inflight === undefined) {
      inflight = authenticate().then(
        (t) => { cached = t; inflight = undefined; return t; },
        (e: unknown) => { inflight = undefined; throw e; },
      );
    }
    return inflight;
  }

  async function current(): Promise<CachedToken> {
    const c = cached;
    const now = clock.now();
    if (c !== undefined && (c.refreshAt === undefined || now < c.refreshAt)) return c;
    if (c === undefined || c.expiresAt === undefined || now >= c.expiresAt) return login();
    // In the refresh window the old token still works: if Keystone cannot be reached right now, keep using it.
    try {
      return await login();
    } catch (err) {
      if (err instanceof UnavailableError && cached === c && clock.now() < (c.expiresAt ?? 0)) return c;
      throw err;
    }
  }

  return {
    async token() {
      return (await current()).token;
    },
    async endpoint() {
      const override = opts.auth.endpointOverride;
      if (override !== undefined && override !== '') return normalizeNeutronBase(override);
      const c = await current();
      return selectCatalogEndpoint(c.catalog, {
        serviceType, interface: opts.endpointType, region: opts.regionName,
      });
    },
    invalidate(stale?: string) {
      if (stale === undefined || cached?.token === stale) cached = undefined;
    },
    describe() {
      return opts.auth.type === 'password'
        ? `Keystone ${safeAuthUrl} ${who} project ${describeProject(opts.auth)}`
        : `Keystone ${safeAuthUrl} ${who}`;
    },
    tokensIssued: () => issued,
  };
}
