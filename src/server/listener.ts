// Where the plugin listens, from [DEFAULT] kuryr_uri: a unix socket (dockerd discovers
// /run/docker/plugins/<name>.sock; mode 0660, root-owned) or http(s)://host:port for installations that use a
// kuryr.spec file. A socket that still answers belongs to a running instance: refuse to steal it.
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ConfigError, PluginError } from '../errors.ts';

export type ListenTarget =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number; tls: boolean };

export function parseKuryrUri(uri: string): ListenTarget {
  let url: URL;
  try { url = new URL(uri); } catch {
    throw new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] kuryr_uri = ${uri}: not a URL (unix:///path.sock or http://host:port)`);
  }
  if (url.protocol === 'unix:') {
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith('/') || path.endsWith('/')) {
      throw new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] kuryr_uri = ${uri}: needs an absolute socket path`);
    }
    return { kind: 'unix', path };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'tcp:') {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port, tls: url.protocol === 'https:' };
  }
  throw new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] kuryr_uri = ${uri}: unsupported scheme ${url.protocol}`);
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

export async function listen(app: FastifyInstance, target: ListenTarget): Promise<string> {
  if (target.kind === 'tcp') {
    return app.listen({ host: target.host, port: target.port });
  }
  await mkdir(dirname(target.path), { recursive: true });
  const existing = await lstat(target.path).catch(() => undefined);
  if (existing !== undefined) {
    if (!existing.isSocket()) {
      throw new PluginError('ERR_STATE_LOCKED', `${target.path} exists and is not a socket; refusing to replace it`);
    }
    if (await socketAnswers(target.path)) {
      throw new PluginError('ERR_STATE_LOCKED', `another plugin instance is serving ${target.path}`);
    }
    await unlink(target.path);
  }
  const address = await app.listen({ path: target.path });
  await chmod(target.path, 0o660);
  return address;
}
