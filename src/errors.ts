// The plugin's error model: one PluginError class, a few subclasses callers branch on, and a registry of
// stable codes. Adapters (Neutron HTTP, exec, sysfs, config) translate raw failures into these at their
// boundary; server/reply.ts is the only place that turns them into Docker replies.

export const ERROR_CODES = {
  ERR_INTERNAL: 'unexpected failure; details are in the plugin log',
  ERR_INVALID_REQUEST: 'the request body is not what the Docker protocol defines',
  ERR_UNKNOWN_METHOD: 'the plugin does not implement this Docker method',
  ERR_CONFIG_PARSE: 'a configuration file is not valid oslo.config INI',
  ERR_CONFIG_VALUE: 'a configuration option has a bad value',
  ERR_CONFIG_DRIVER: 'the enabled port/binding drivers are unknown or incompatible',
  ERR_NEUTRON_UNAVAILABLE: 'Neutron (or Keystone) could not be reached or answered 5xx',
  ERR_NEUTRON_AUTH: 'Keystone refused the credentials, or Neutron refused the token',
  ERR_NEUTRON_FORBIDDEN: 'Neutron policy forbids the request',
  ERR_NEUTRON_NOT_FOUND: 'a Neutron resource does not exist',
  ERR_NEUTRON_CONFLICT: 'Neutron refused the change because of a conflict (IP or MAC in use, port bound, ...)',
  ERR_NEUTRON_BAD_REQUEST: 'Neutron rejected the request as invalid',
  ERR_NEUTRON_EXTENSION_MISSING: 'a Neutron API extension the plugin needs is not loaded',
  ERR_NETWORK_NOT_FOUND: 'no Neutron network is associated with the Docker network',
  ERR_ENDPOINT_NOT_FOUND: 'no Neutron port is associated with the Docker endpoint',
  ERR_SUBNET_NOT_FOUND: 'no Neutron subnet matches the request',
  ERR_POOL_NOT_FOUND: 'no Neutron subnetpool matches the request',
  ERR_DUPLICATE_RESOURCE: 'several Neutron resources match where exactly one is expected',
  ERR_GATEWAY_CONFLICT: 'the requested gateway differs from the existing subnet gateway',
  ERR_OPTION_CONFLICT: 'a Docker option contradicts the existing Neutron resource it names (e.g. neutron.net.shared)',
  ERR_ADDRESS_IN_USE: 'the requested address (or its Neutron port) is already in use or owned by someone else',
  ERR_UNSUPPORTED: 'the request needs a feature this plugin does not support (yet)',
  ERR_NO_PORT_DRIVER: "no enabled port driver handles the port's binding:vnic_type",
  ERR_BINDING_FAILED: 'Neutron could not bind the port to this host',
  ERR_BINDING_UNSUPPORTED: "the port's binding:vif_type has no binding script or driver",
  ERR_PORT_NOT_ACTIVE: 'the Neutron port did not become ACTIVE in time',
  ERR_INVALID_NAME: 'an interface name, PCI address, MAC or CIDR failed validation',
  ERR_HOST_COMMAND: 'a host command (ip, ovs-vsctl, binding script) failed',
  ERR_VF_EXHAUSTED: 'no free VF is left on the PFs mapped to the network\'s physical network',
  ERR_VF_BUSY: 'the VF a port names (binding:profile.pci_slot) is already held by another endpoint',
  ERR_SRIOV_PHYSNET: 'the network has no physical network, or [sriov] physical_device_mappings does not map it',
  ERR_STATE_CORRUPT: 'the local state file cannot be read back (not JSON or an unknown version)',
  ERR_STATE_LOCKED: 'another plugin instance holds the state directory',
  ERR_SYSFS_PATH: 'a sysfs path was refused before use (absolute, "..", or a NUL byte)',
  ERR_SYSFS_NOT_FOUND: 'a sysfs file, directory or link does not exist',
  ERR_SYSFS_IO: 'reading or writing sysfs failed (permission, busy device, not a file, ...)',
  ERR_SRIOV_DEVICE: 'the PCI device or netdev does not exist, or is not an SR-IOV VF/PF',
  ERR_SRIOV_PF_NETDEV: "the VF's physical function has no netdev in this network namespace",
  ERR_SRIOV_SYSFS: 'the SR-IOV sysfs layout is inconsistent (VF missing from its PF, several netdevs, bad counts)',
  ERR_VF_IN_USE: 'kuryr vf release: the VF is held by an endpoint that is still alive (or whose state cannot be checked)',
  ERR_PERMISSION: 'the command needs access it does not have (run it as root)',
  ERR_PLUGIN_UNREACHABLE: 'the running plugin (it holds the instance lock) did not answer on its kuryr_uri',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PluginErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
  retryable?: boolean;
}

export class PluginError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, opts: PluginErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = opts.details ?? {};
    this.retryable = opts.retryable ?? false;
  }
}

/** Something looked up does not exist. Delete paths treat it as success. */
export class NotFoundError extends PluginError {}
/** The change conflicts with existing state. */
export class ConflictError extends PluginError {}
/** A dependency (Neutron, Keystone) is unreachable or failing. */
export class UnavailableError extends PluginError {}
/** The caller sent something invalid. */
export class InvalidRequestError extends PluginError {}
/** A host command exited non-zero. */
export class HostCommandError extends PluginError {}
/** Configuration is unusable; raised at start-up, never on a request. */
export class ConfigError extends PluginError {}

export function isPluginError(e: unknown): e is PluginError {
  return e instanceof PluginError;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof NotFoundError;
}

/** await a delete-like call, treating "already gone" as success (delete paths are idempotent) */
export async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try { await p; } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
}
