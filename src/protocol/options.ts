// The `neutron.*` options users pass with `docker network create -o k=v` (CreateNetwork, under
// com.docker.network.generic) and `--ipam-opt k=v` (RequestPool). Unknown neutron.* keys are an error rather
// than silently ignored. Options whose behaviour is not built yet are refused with a clear message.
import { InvalidRequestError, PluginError } from '../errors.ts';

export const GENERIC_OPTIONS = 'com.docker.network.generic';

/** every option upstream kuryr-libnetwork understands */
export const KNOWN_NEUTRON_OPTIONS = [
  'neutron.net.uuid', 'neutron.net.name', 'neutron.net.shared',
  'neutron.pool.uuid', 'neutron.pool.name', 'neutron.pool.v6.uuid', 'neutron.pool.v6.name',
  'neutron.subnet.uuid', 'neutron.subnet.name', 'neutron.subnet.v6.uuid', 'neutron.subnet.v6.name',
] as const;

/** options this build implements */
const IMPLEMENTED = new Set<string>(['neutron.net.shared']);

export interface NeutronOptions { shared: boolean }

const TRUE = new Set(['true', 'yes', 'on', '1', 't', 'y']);
const FALSE = new Set(['false', 'no', 'off', '0', 'f', 'n', '']);

function parseBool(key: string, value: unknown): boolean {
  const s = String(value).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new InvalidRequestError('ERR_INVALID_REQUEST', `option ${key}=${String(value)}: expected true or false`);
}

export function genericOptions(options: Record<string, unknown>): Record<string, unknown> {
  const g = options[GENERIC_OPTIONS];
  return g !== null && typeof g === 'object' ? (g as Record<string, unknown>) : {};
}

export function parseNeutronOptions(opts: Record<string, unknown>): NeutronOptions {
  for (const key of Object.keys(opts)) {
    if (!key.startsWith('neutron.')) continue;
    if (!(KNOWN_NEUTRON_OPTIONS as readonly string[]).includes(key)) {
      throw new InvalidRequestError('ERR_INVALID_REQUEST',
        `unknown option ${key}; the neutron.* options are: ${KNOWN_NEUTRON_OPTIONS.join(', ')}`);
    }
    if (!IMPLEMENTED.has(key)) {
      throw new PluginError('ERR_UNSUPPORTED', `option ${key} is not supported by this build yet`);
    }
  }
  return { shared: parseBool('neutron.net.shared', opts['neutron.net.shared'] ?? 'false') };
}
