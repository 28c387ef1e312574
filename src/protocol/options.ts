// The `neutron.*` options users pass with `docker network create -o k=v` (CreateNetwork, under
// com.docker.network.generic) and `--ipam-opt k=v` (RequestPool): the same names upstream kuryr-libnetwork
// reads. Unknown neutron.* keys are an error rather than silently ignored; other keys are Docker's business.
import { InvalidRequestError } from '../errors.ts';

export const GENERIC_OPTIONS = 'com.docker.network.generic';

/** every option upstream kuryr-libnetwork understands */
export const KNOWN_NEUTRON_OPTIONS = [
  'neutron.net.uuid', 'neutron.net.name', 'neutron.net.shared',
  'neutron.pool.uuid', 'neutron.pool.name', 'neutron.pool.v6.uuid', 'neutron.pool.v6.name',
  'neutron.subnet.uuid', 'neutron.subnet.name', 'neutron.subnet.v6.uuid', 'neutron.subnet.v6.name',
] as const;

export interface ResourceRef { uuid?: string; name?: string }

export interface NeutronOptions {
  /** neutron.net.shared; undefined when not given (then nothing is compared against an existing resource) */
  shared: boolean | undefined;
  network: ResourceRef;
  pool: { v4: ResourceRef; v6: ResourceRef };
  subnet: { v4: ResourceRef; v6: ResourceRef };
  /** `-o kuryr.vnic_type=direct|direct-physical|macvtap|normal`: the vnic type of ports made on this network */
  vnicType: string | undefined;
}

export const VNIC_TYPE_OPTION = 'kuryr.vnic_type';
const VNIC_TYPES = ['normal', 'direct', 'direct-physical', 'macvtap'];

const TRUE = new Set(['true', 'yes', 'on', '1', 't', 'y']);
const FALSE = new Set(['false', 'no', 'off', '0', 'f', 'n']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseBool(key: string, value: string): boolean {
  const s = value.trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new InvalidRequestError('ERR_INVALID_REQUEST', `option ${key}=${value}: expected true or false`);
}

export function genericOptions(options: Record<string, unknown>): Record<string, unknown> {
  const g = options[GENERIC_OPTIONS];
  return g !== null && typeof g === 'object' ? (g as Record<string, unknown>) : {};
}

function ref(opts: Record<string, string>, prefix: string): ResourceRef {
  const r: ResourceRef = {};
  const uuid = opts[`${prefix}.uuid`];
  const name = opts[`${prefix}.name`];
  if (uuid !== undefined) {
    if (!UUID.test(uuid)) throw new InvalidRequestError('ERR_INVALID_REQUEST', `option ${prefix}.uuid=${uuid}: not a UUID`);
    r.uuid = uuid.toLowerCase();
  }
  if (name !== undefined) {
    if (name === '') throw new InvalidRequestError('ERR_INVALID_REQUEST', `option ${prefix}.name is empty`);
    r.name = name;
  }
  return r;
}

export function parseNeutronOptions(raw: Record<string, unknown>): NeutronOptions {
  const opts: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('neutron.')) continue;
    if (!(KNOWN_NEUTRON_OPTIONS as readonly string[]).includes(key)) {
      throw new InvalidRequestError('ERR_INVALID_REQUEST',
        `unknown option ${key}; the neutron.* options are: ${KNOWN_NEUTRON_OPTIONS.join(', ')}`);
    }
    opts[key] = typeof value === 'string' ? value : String(value);
  }
  const shared = opts['neutron.net.shared'];
  const vnic = raw[VNIC_TYPE_OPTION];
  if (vnic !== undefined && !VNIC_TYPES.includes(String(vnic))) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST', `option ${VNIC_TYPE_OPTION}=${String(vnic)}: expected one of ${VNIC_TYPES.join(', ')}`);
  }
  return {
    vnicType: vnic === undefined ? undefined : String(vnic),
    shared: shared === undefined ? undefined : parseBool('neutron.net.shared', shared),
    network: ref(opts, 'neutron.net'),
    pool: { v4: ref(opts, 'neutron.pool'), v6: ref(opts, 'neutron.pool.v6') },
    subnet: { v4: ref(opts, 'neutron.subnet'), v6: ref(opts, 'neutron.subnet.v6') },
  };
}

export function hasRef(r: ResourceRef): boolean {
  return r.uuid !== undefined || r.name !== undefined;
}
