// An HTTP proxy in front of the real Neutron that can fail chosen requests or stop answering altogether, so
// tests can take "Neutron" away in the middle of a Docker call without disturbing the shared testbed.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRule { method: string; path: RegExp; status: number; times: number; delayMs?: number }

export interface FaultProxy {
  url: string;
  /** answer the next `times` matching requests with `status` (a NeutronError body), or with `delayMs` forward them late */
  failNext(rule: Omit<FaultRule, 'times'> & { times?: number }): void;
  /** refuse every request (connection reset) until resumed */
  down(): void;
  up(): void;
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: FaultRule[] = [];
  let isDown = false;
  const requests: FaultProxy['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (isDown) { requests.push({ method, path, status: 0 }); req.socket.destroy(); return; }
    const rule = rules.find((r) => r.times > 0 && r.method === method && r.path.test(path));
    if (rule?.delayMs !== undefined) {
      // a slow Neutron: forward the request after the delay
      rule.times -= 1;
      setTimeout(() => forward(req, res, method, path), rule.delayMs);
      return;
    }
    if (rule) {
      rule.times -= 1;
      requests.push({ method, path, status: rule.status });
      req.resume();
      res.writeHead(rule.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ NeutronError: { type: 'InjectedFault', message: 'injected by the test proxy', detail: '' } }));
      return;
    }
    forward(req, res, method, path);
  });
  function forward(req: IncomingMessage, res: ServerResponse, method: string, path: string): void {
    const out = request({ host: upstream.hostname, port: upstream.port, method, path, headers: req.headers }, (up) => {
      requests.push({ method, path, status: up.statusCode ?? 0 });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(out);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (r) => { rules.push({ ...r, times: r.times ?? 1 }); },
    down: () => { isDown = true; },
    up: () => { isDown = false; },
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
