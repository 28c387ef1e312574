// Doctor checks of the running plugin and of dockerd: `plugin.socket` (the kuryr_uri socket exists and answers
// POST /Plugin.Activate like dockerd's first call) and `docker` (dockerd answers; for a v1 plugin it keeps no
// plugin list, so this says what was checked: /info answers, which networks use our driver). Pure over the
// injected probes.
import { basename, dirname } from 'node:path';
import type { KuryrConfig } from '../config/types.ts';
import { parseKuryrUri, type ListenTarget } from '../server/listener.ts';
import { describeLock, type LockState } from './checks-host.ts';
import { check, type CheckResult, type DockerProbe, type SocketProbe } from './types.ts';

/** Where dockerd looks for v1 plugin sockets (pkg/plugins: socketsPath) */
export const DOCKER_PLUGIN_SOCKET_DIR = '/run/docker/plugins';

/** The driver name dockerd knows the plugin by: the socket's basename, or `kuryr` for a kuryr.spec (TCP) set-up. */
export function pluginName(target: ListenTarget): string {
  return target.kind === 'unix' ? basename(target.path).replace(/\.sock$/, '') : 'kuryr';
}

export function describeTarget(target: ListenTarget): string {
  return target.kind === 'unix' ? `unix://${target.path}` : `${target.tls ? 'https' : 'http'}://${target.host}:${target.port}`;
}

export async function checkSocket(probe: (t: ListenTarget) => Promise<SocketProbe>, config: KuryrConfig, lock: LockState): Promise<CheckResult> {
  let target: ListenTarget;
  try {
    target = parseKuryrUri(config.default.kuryrUri);
  } catch (err) {
    return check('plugin.socket', 'fail', `[DEFAULT] kuryr_uri cannot be used: ${(err as Error).message}`, [],
      'set [DEFAULT] kuryr_uri to unix:///run/docker/plugins/kuryr.sock');
  }
  const where = describeTarget(target);
  const call = `POST ${where} /Plugin.Activate`;
  const p = await probe(target);
  const lockLine = describeLock(lock);
  switch (p.kind) {
    case 'answered': {
      const implementsList = (p.body as { Implements?: unknown } | null)?.Implements;
      const list = Array.isArray(implementsList) ? implementsList.map(String) : [];
      const evidence = [`${call} → ${p.status} ${JSON.stringify(p.body)}`, lockLine];
      if (p.status === 200 && list.includes('NetworkDriver') && list.includes('IpamDriver')) {
        return check('plugin.socket', 'ok', `the plugin answers on ${where} (implements ${list.join(', ')})`, evidence);
      }
      return check('plugin.socket', 'fail', `something answers on ${where}, but not as a NetworkDriver + IpamDriver plugin`, evidence,
        '[DEFAULT] kuryr_uri must point at this plugin\'s own socket; stop whatever else listens there');
    }
    case 'missing':
      return check('plugin.socket', 'fail', `the plugin socket ${target.kind === 'unix' ? target.path : where} does not exist: the plugin is not running`,
        [`${call} → no such socket`, lockLine],
        'start the plugin (systemctl start kuryr-libnetwork, or kuryr serve --config-file …); if it exits, its log (or kuryr config check) says why');
    case 'refused':
      return check('plugin.socket', 'fail', `nothing accepts connections on ${where}: the plugin is not running${target.kind === 'unix' ? ' (a stale socket file)' : ''}`,
        [`${call} → ${p.detail}`, lockLine],
        'start the plugin; it replaces a stale socket by itself');
    case 'denied':
      return check('plugin.socket', 'skip', `not permitted to connect to ${where} (${p.detail}): run doctor as root`, [lockLine]);
    case 'error':
      return check('plugin.socket', 'fail', `the plugin did not answer properly on ${where}`, [`${call} → ${p.detail}`, lockLine],
        'the plugin may be hung: check its log, restart it');
    default: {
      const never: never = p;
      throw new Error(`unknown probe result ${JSON.stringify(never)}`);
    }
  }
}

export async function checkDocker(probe: (name: string) => Promise<DockerProbe>, config: KuryrConfig): Promise<CheckResult> {
  let target: ListenTarget | undefined;
  try { target = parseKuryrUri(config.default.kuryrUri); } catch { target = undefined; }
  const name = target === undefined ? 'kuryr' : pluginName(target);
  const p = await probe(name);
  switch (p.kind) {
    case 'absent':
      return check('docker', 'skip', `dockerd not checked: DOCKER_HOST is not set and ${p.where} does not exist`);
    case 'denied':
      return check('docker', 'skip', `not permitted to talk to dockerd at ${p.where} (${p.detail}): run doctor as root or in the docker group`);
    case 'unreachable':
      return check('docker', 'warn', `dockerd does not answer at ${p.where}`, [p.detail],
        p.explicit ? 'start dockerd, or correct DOCKER_HOST' : 'start dockerd (systemctl start docker)');
    case 'answered': {
      const evidence = [`GET ${p.where} /info → Docker ${p.version}`];
      // dockerd keeps no list of v1 plugins: it finds one by name in /run/docker/plugins (or /etc/docker/plugins/*.spec)
      // when a network first asks for the driver; only then does the driver show in `docker info`
      evidence.push(`v1 plugin: dockerd has no plugin list for it; it resolves driver "${name}" through ` +
        (target?.kind === 'unix' ? target.path : `/etc/docker/plugins/${name}.spec or /usr/lib/docker/plugins/${name}.spec (kuryr_uri is TCP)`));
      evidence.push(`docker info Plugins.Network: ${p.networkPlugins.join(', ') || '(none)'} — "${name}" ${p.networkPlugins.includes(name) ? 'listed' : 'not listed (normal until a network first uses it)'}`);
      evidence.push(p.networks.length === 0 ? `GET /networks: no network uses driver ${name}`
        : `GET /networks: ${p.networks.map((n) => `${n.name} (driver ${n.driver}, ipam ${n.ipamDriver})`).join(', ')}`);
      if (target?.kind === 'unix' && dirname(target.path) !== DOCKER_PLUGIN_SOCKET_DIR) {
        return check('docker', 'warn', `dockerd is up, but it does not look for plugin sockets in ${dirname(target.path)}`, evidence,
          `put the socket under ${DOCKER_PLUGIN_SOCKET_DIR} ([DEFAULT] kuryr_uri), or write a spec file in /etc/docker/plugins/${name}.spec`);
      }
      return check('docker', 'ok', `dockerd ${p.version} answers; ${p.networks.length} network(s) use driver ${name}`, evidence);
    }
    default: {
      const never: never = p;
      throw new Error(`unknown probe result ${JSON.stringify(never)}`);
    }
  }
}
