// The [DEFAULT] part of the option table: kuryr-libnetwork, kuryr-lib, oslo.log and this project's own
// options, in the order docs/config.md and etc/kuryr.conf.example list them. Pure data: must not parse,
// validate across options or read files (load code and drivers.ts do that).
import { opt } from './option-spec.ts';
import { types } from './option-types.ts';

const VETH_PORT_DRIVER = 'kuryr_libnetwork.port_driver.drivers.veth';

export const DEFAULT_OPTIONS = {
  // [DEFAULT] — kuryr-libnetwork
  pybasedir: opt({
    section: 'DEFAULT', name: 'pybasedir', type: types.str(), default: '', defaultFrom: 'installDir',
    field: 'default.pybasedir', help: 'Directory the plugin is installed in (informational).',
  }),
  kuryrUri: opt({
    section: 'DEFAULT', name: 'kuryr_uri', type: types.listenUri(),
    default: 'unix:///run/docker/plugins/kuryr.sock', envDefault: 'OS_KURYR_URI',
    field: 'default.kuryrUri',
    help: 'Where the plugin listens; the Docker plugin spec/socket must point at the same place.',
    upstreamDiff: 'default is a unix socket under /run/docker/plugins (upstream: http://127.0.0.1:23750, still accepted)',
  }),
  capabilityScope: opt({
    section: 'DEFAULT', name: 'capability_scope', type: types.enumOf(['local', 'global'] as const),
    default: 'local', envDefault: 'CAPABILITY_SCOPE', field: 'default.capabilityScope',
    help: 'Scope reported by NetworkDriver.GetCapabilities.',
  }),
  localDefaultAddressSpace: opt({
    section: 'DEFAULT', name: 'local_default_address_space', type: types.str(), default: 'no_address_space',
    field: 'default.localDefaultAddressSpace', help: 'Local address space returned by IpamDriver.GetDefaultAddressSpaces.',
  }),
  globalDefaultAddressSpace: opt({
    section: 'DEFAULT', name: 'global_default_address_space', type: types.str(), default: 'no_address_space',
    field: 'default.globalDefaultAddressSpace', help: 'Global address space returned by IpamDriver.GetDefaultAddressSpaces.',
  }),
  portDriver: opt({
    section: 'DEFAULT', name: 'port_driver', type: types.str(), default: VETH_PORT_DRIVER,
    field: 'default.portDriver', help: 'Deprecated for removal upstream and never read; use default_port_driver.',
    noEffect: 'deprecated upstream and never read; set default_port_driver instead',
  }),
  defaultPortDriver: opt({
    section: 'DEFAULT', name: 'default_port_driver', type: types.str(), default: VETH_PORT_DRIVER,
    field: 'default.defaultPortDriver',
    help: 'Port driver for "normal" vnic ports: veth, nested, vlan or sriov (short name or module path).',
    upstreamDiff: 'honoured (upstream builds its driver table before reading the file, so only the built-in default takes effect)',
  }),
  enabledPortDrivers: opt({
    section: 'DEFAULT', name: 'enabled_port_drivers', type: types.list(), default: [VETH_PORT_DRIVER],
    field: 'default.enabledPortDrivers',
    help: 'Port drivers allowed to load (comma-separated short names or module paths); add sriov for SR-IOV ports.',
    upstreamDiff: 'honoured (upstream never enables sriov from the file, see the spec §8.2)',
  }),
  processExternalConnectivity: opt({
    section: 'DEFAULT', name: 'process_external_connectivity', type: types.bool(), default: true,
    field: 'default.processExternalConnectivity',
    help: 'Whether Program/RevokeExternalConnectivity do anything.',
  }),
  sslCertFile: opt({
    section: 'DEFAULT', name: 'ssl_cert_file', type: types.str(), default: '/var/lib/kuryr/certs/cert.pem',
    field: 'default.sslCertFile', help: 'TLS certificate for the listener when enable_ssl is set.',
  }),
  sslKeyFile: opt({
    section: 'DEFAULT', name: 'ssl_key_file', type: types.str(), default: '/var/lib/kuryr/certs/key.pem',
    field: 'default.sslKeyFile', help: 'TLS private key for the listener when enable_ssl is set.',
  }),
  enableSsl: opt({
    section: 'DEFAULT', name: 'enable_ssl', type: types.bool(), default: false, field: 'default.enableSsl',
    help: 'Serve HTTPS on an http:// kuryr_uri (start-up fails if a certificate file is missing).',
  }),
  // [DEFAULT] — kuryr-lib
  bindir: opt({
    section: 'DEFAULT', name: 'bindir', type: types.str(), default: '/usr/libexec/kuryr', field: 'default.bindir',
    help: 'Directory holding the per-vif_type bind/unbind scripts.',
  }),
  subnetpoolNamePrefix: opt({
    section: 'DEFAULT', name: 'subnetpool_name_prefix', type: types.str(), default: 'kuryrPool',
    field: 'default.subnetpoolNamePrefix', help: 'Name prefix of the subnetpools the plugin creates.',
  }),
  deploymentType: opt({
    section: 'DEFAULT', name: 'deployment_type', type: types.str(), default: 'baremetal',
    field: 'default.deploymentType', help: 'baremetal or nested-containers (informational, as upstream).',
  }),
  // [DEFAULT] — this project and oslo.log
  host: opt({
    section: 'DEFAULT', name: 'host', type: types.str(), default: '', defaultFrom: 'hostname', field: 'default.host',
    help: 'binding:host_id for ports bound here; must equal the Neutron agents\' host (default: the OS hostname).',
    upstreamDiff: 'new (upstream always uses the OS hostname)',
  }),
  statePath: opt({
    section: 'DEFAULT', name: 'state_path', type: types.str(), default: '/var/lib/kuryr', field: 'default.statePath',
    help: 'Directory for local state (endpoint records, SR-IOV allocations, lock file).',
    upstreamDiff: 'new (upstream keeps no local state); must be an absolute path',
  }),
  debug: opt({
    section: 'DEFAULT', name: 'debug', type: types.bool(), default: false, field: 'default.debug',
    help: 'Log at debug level.',
  }),
  logFile: opt({
    section: 'DEFAULT', name: 'log_file', type: types.optionalStr(), default: undefined, field: 'default.logFile',
    help: 'Log to this file instead of stderr (relative names are joined to log_dir).',
  }),
  logDir: opt({
    section: 'DEFAULT', name: 'log_dir', type: types.optionalStr(), default: undefined, field: 'default.logFile',
    help: 'Directory for log_file; alone, it means <log_dir>/kuryr-server.log (oslo.log rule).',
  }),
  // field null: the value lands in the optional KuryrConfig field default.metricsUri, which is absent when
  // unset (so configurations without metrics compare equal to the plain defaults); build-config.ts sets it
  metricsUri: opt({
    section: 'DEFAULT', name: 'metrics_uri', type: types.httpListenUrl(), default: undefined, field: null,
    help: 'Serve Prometheus metrics at <uri>/metrics (e.g. http://127.0.0.1:9465); empty = no metrics listener.',
    upstreamDiff: 'new',
  }),
} as const;
