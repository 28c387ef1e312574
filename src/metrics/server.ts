// The opt-in Prometheus listener ([DEFAULT] metrics_uri = http://host:port): GET /metrics answers the registry's
// text exposition; anything else is 404 (405 for other methods on /metrics). Separate from the Docker plugin
// socket on purpose: scraping needs TCP, the plugin socket is root-only, and a scrape must never queue behind
// (or be mistaken for) a Docker call.
import { createServer, type Server } from 'node:http';
import { ConfigError } from '../errors.ts';
import { CONTENT_TYPE, type MetricsRegistry } from './registry.ts';

export interface MetricsServer {
  /** host:port actually bound (port 0 in metrics_uri picks a free one) */
  readonly address: string;
  close(): Promise<void>;
}

export function parseMetricsUri(uri: string): { host: string; port: number } {
  let url: URL;
  try { url = new URL(uri); } catch {
    throw new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] metrics_uri = ${uri}: not a URL (http://host:port)`);
  }
  if (url.protocol !== 'http:' || url.port === '') {
    throw new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] metrics_uri = ${uri}: must be http://host:port`);
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}

export async function startMetricsServer(
  registry: MetricsRegistry, uri: string, log: { error(obj: object, msg?: string): void },
): Promise<MetricsServer> {
  const { host, port } = parseMetricsUri(uri);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.render().then((text) => {
      res.writeHead(200, { 'content-type': CONTENT_TYPE });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, (err: unknown) => {
      log.error({ err }, 'metrics render failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics render failed\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (cause: NodeJS.ErrnoException) => reject(new ConfigError('ERR_CONFIG_VALUE',
      `[DEFAULT] metrics_uri = ${uri}: cannot listen (${cause.code ?? cause.message})`, { cause }));
    server.once('error', failed);
    server.listen(port, host, () => { server.off('error', failed); resolve(); });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound !== null
    ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : String(bound);
  return {
    address,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
