// The real network seams of doctor and `kuryr vf`: a tiny HTTP client for the plugin's own kuryr_uri (unix
// socket or TCP) and for dockerd's API (DOCKER_HOST or /run/docker.sock), over node:http. Connection errors are
// classified (missing socket, refused, permission) instead of thrown, because for doctor they are verdicts.
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ListenTarget } from '../server/listener.ts';
import { errno, type DockerProbe, type SocketProbe } from './types.ts';

export const DEFAULT_DOCKER_SOCKET = '/run/docker.sock';

export interface HttpAnswer { status: number; body: unknown }

/** One request; the body is parsed as JSON when it is JSON, else returned as text. Rejects on transport errors. */
export function httpCall(
  where: { socketPath: string } | { host: string; port: number; tls: boolean },
  method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options: RequestOptions = {
      method, path, timeout: timeoutMs,
      headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      ...('socketPath' in where ? { socketPath: where.socketPath } : { host: where.host, port: where.port }),
    };
    // https only for a kuryr_uri with TLS (enable_ssl): the plugin's own, usually self-signed, certificate on
    // this host; what goes over it is not secret (doctor's Activate probe, an operator's release request)
    const tls = !('socketPath' in where) && where.tls;
    const req = tls ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let parsed: unknown = text;
        try { parsed = text === '' ? null : JSON.parse(text); } catch { /* keep the text */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(payload);
  });
}

export function pluginAddress(target: ListenTarget): { socketPath: string } | { host: string; port: number; tls: boolean } {
  return target.kind === 'unix' ? { socketPath: target.path } : { host: target.host, port: target.port, tls: target.tls };
}

/** POST <method> to the plugin the way dockerd calls it. */
export function callPlugin(target: ListenTarget, method: string, body: unknown, timeoutMs = 10_000): Promise<HttpAnswer> {
  return httpCall(pluginAddress(target), 'POST', `/${method}`, body, timeoutMs);
}

export async function probeSocket(target: ListenTarget, timeoutMs = 5_000): Promise<SocketProbe> {
  try {
    const a = await callPlugin(target, 'Plugin.Activate', undefined, timeoutMs);
    return { kind: 'answered', status: a.status, body: a.body };
  } catch (err) {
    const e = errno(err);
    const detail = `${e ?? 'error'}: ${(err as Error).message}`;
    if (e === 'ENOENT') return { kind: 'missing' };
    if (e === 'ECONNREFUSED') return { kind: 'refused', detail };
    if (e === 'EACCES' || e === 'EPERM') return { kind: 'denied', detail: e };
    return { kind: 'error', detail };
  }
}

export interface DockerEndpoint { where: string; address: { socketPath: string } | { host: string; port: number; tls: boolean }; explicit: boolean }

/** DOCKER_HOST (unix:// or tcp://), else /run/docker.sock; undefined for a DOCKER_HOST this client cannot use. */
export function dockerEndpoint(env: Readonly<Record<string, string | undefined>>): DockerEndpoint | { where: string; unsupported: string } {
  const host = env['DOCKER_HOST'];
  if (host === undefined || host === '') {
    return { where: `unix://${DEFAULT_DOCKER_SOCKET}`, address: { socketPath: DEFAULT_DOCKER_SOCKET }, explicit: false };
  }
  if (host.startsWith('unix://')) return { where: host, address: { socketPath: host.slice('unix://'.length) }, explicit: true };
  if (host.startsWith('tcp://') || host.startsWith('http://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const tls = env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '';
    return { where: host, address: { host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), tls }, explicit: true };
  }
  return { where: host, unsupported: `DOCKER_HOST scheme not supported by doctor (unix:// and tcp:// are)` };
}

interface DockerNetworkSummary { Id?: string; Name?: string; Driver?: string; IPAM?: { Driver?: string } }

export async function probeDocker(env: Readonly<Record<string, string | undefined>>, pluginName: string, timeoutMs = 5_000): Promise<DockerProbe> {
  const ep = dockerEndpoint(env);
  if ('unsupported' in ep) return { kind: 'unreachable', where: ep.where, detail: ep.unsupported, explicit: true };
  try {
    const info = await httpCall(ep.address, 'GET', '/info', undefined, timeoutMs);
    if (info.status !== 200) return { kind: 'unreachable', where: ep.where, detail: `GET /info → ${info.status}`, explicit: ep.explicit };
    const body = info.body as { ServerVersion?: string; Plugins?: { Network?: string[] } };
    const nets = await httpCall(ep.address, 'GET', '/networks', undefined, timeoutMs);
    const list = Array.isArray(nets.body) ? nets.body as DockerNetworkSummary[] : [];
    return {
      kind: 'answered', where: ep.where, version: body.ServerVersion ?? '?',
      networkPlugins: body.Plugins?.Network ?? [],
      networks: list.filter((n) => n.Driver === pluginName || n.IPAM?.Driver === pluginName)
        .map((n) => ({ name: n.Name ?? n.Id ?? '?', driver: n.Driver ?? '', ipamDriver: n.IPAM?.Driver ?? '' })),
    };
  } catch (err) {
    const e = errno(err);
    if (e === 'ENOENT' && !ep.explicit) return { kind: 'absent', where: ep.where };
    if (e === 'EACCES' || e === 'EPERM') return { kind: 'denied', where: ep.where, detail: e };
    return { kind: 'unreachable', where: ep.where, detail: `${e ?? 'error'}: ${(err as Error).message}`, explicit: ep.explicit };
  }
}

/**
 * Docker endpoint id → container name, over every network that uses the plugin's driver (GET /networks/{id}
 * lists its containers with their EndpointID). Empty when dockerd cannot be asked.
 */
export async function dockerContainersByEndpoint(
  env: Readonly<Record<string, string | undefined>>, pluginName: string, timeoutMs = 5_000,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ep = dockerEndpoint(env);
  if ('unsupported' in ep) return out;
  try {
    const nets = await httpCall(ep.address, 'GET', '/networks', undefined, timeoutMs);
    const ours = (Array.isArray(nets.body) ? nets.body as DockerNetworkSummary[] : []).filter((n) => n.Driver === pluginName);
    for (const n of ours) {
      if (n.Id === undefined) continue;
      const detail = await httpCall(ep.address, 'GET', `/networks/${encodeURIComponent(n.Id)}`, undefined, timeoutMs);
      const containers = (detail.body as { Containers?: Record<string, { Name?: string; EndpointID?: string }> } | null)?.Containers ?? {};
      for (const [id, c] of Object.entries(containers)) {
        if (c.EndpointID !== undefined) out.set(c.EndpointID, c.Name ?? id.slice(0, 12));
      }
    }
  } catch {
    // dockerd not reachable: containers are simply not named
  }
  return out;
}
