// A keystonemiddleware stand-in in front of the testbed's noauth Neutron: every request's X-Auth-Token is
// validated with the real Keystone (GET /v3/auth/tokens, the token validating itself as X-Subject-Token, no
// cache: stricter than keystonemiddleware) and refused with keystonemiddleware's 401 when it is missing,
// invalid or expired; valid requests are forwarded. Records which tokens were seen and what was refused.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthProxy {
  url: string;
  /** distinct tokens that were accepted, in first-seen order */
  tokens: string[];
  accepted: number;
  /** requests answered 401, with why */
  rejected: { method: string; path: string; why: string; at: number }[];
  close(): Promise<void>;
}

const UNAUTHORIZED = JSON.stringify({
  error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
});

/** `keystoneUrl` ends in /v3; `target` is the Neutron base URL. */
export async function startAuthProxy(target: string, keystoneUrl: string): Promise<AuthProxy> {
  const upstream = new URL(target);
  const ks = keystoneUrl.replace(/\/+$/, '');
  const tokens: string[] = [];
  const rejected: AuthProxy['rejected'] = [];
  let accepted = 0;

  async function validate(token: string): Promise<string | undefined> {
    const res = await fetch(`${ks}/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } });
    await res.arrayBuffer();
    return res.status === 200 ? undefined : `keystone answered ${res.status}`;
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const header = req.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    req.pause();
    const check = token === undefined || token === '' ? Promise.resolve('no X-Auth-Token') : validate(token);
    check.then((why) => {
      if (why !== undefined) {
        rejected.push({ method, path, why, at: Date.now() });
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Keystone uri="${ks}"` });
        res.end(UNAUTHORIZED);
        return;
      }
      accepted += 1;
      if (!tokens.includes(token!)) tokens.push(token!);
      const headers = { ...req.headers };
      delete headers['x-auth-token'];
      const out = request({ host: upstream.hostname, port: upstream.port, method, path, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => { res.writeHead(502); res.end(); });
      req.pipe(out);
      req.resume();
    }, (err: unknown) => {
      rejected.push({ method, path, why: `validation failed: ${String(err)}`, at: Date.now() });
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, title: 'Service Unavailable', message: 'token validation failed' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tokens,
    get accepted() { return accepted; },
    rejected,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
