// Test wiring: a HandlerContext built from fakes (fake Neutron, a recording port driver, a fake clock) and a
// configuration with upstream defaults. Not part of the build.
import type { KuryrConfig } from '../config/types.ts';
import type { HandlerContext } from '../context.ts';
import type { NeutronClient } from '../neutron/client.ts';
import { nameIdentity, tagIdentity } from '../neutron/identity.ts';
import { createPortDriverRegistry } from '../port-drivers/registry.ts';
import type { PortDriver } from '../port-drivers/types.ts';
import type { Clock } from '../util/clock.ts';
import { createKeyedMutex } from '../util/keyed-mutex.ts';
import { silentLog } from '../util/log.ts';

export function testConfig(overrides: { default?: Partial<KuryrConfig['default']>; neutron?: Partial<KuryrConfig['neutron']>;
  binding?: Partial<KuryrConfig['binding']>; sriov?: Partial<KuryrConfig['sriov']> } = {}): KuryrConfig {
  return {
    default: {
      kuryrUri: 'unix:///run/docker/plugins/kuryr.sock', capabilityScope: 'local',
      localDefaultAddressSpace: 'no_address_space', globalDefaultAddressSpace: 'no_address_space',
      portDriver: 'kuryr_libnetwork.port_driver.drivers.veth', defaultPortDriver: 'veth', enabledPortDrivers: ['veth'],
      processExternalConnectivity: true, sslCertFile: '/var/lib/kuryr/certs/cert.pem', sslKeyFile: '/var/lib/kuryr/certs/key.pem',
      enableSsl: false, bindir: '/usr/libexec/kuryr', subnetpoolNamePrefix: 'kuryrPool', deploymentType: 'baremetal',
      pybasedir: '', host: 'host-a', statePath: '/var/lib/kuryr', debug: false, logFile: undefined,
      logging: { useStderr: false, useSyslog: false, syslogFacility: 1, useJournal: false, useJson: true, levels: [] },
      ...overrides.default,
    },
    binding: { vethDstPrefix: 'eth', defaultDriver: 'veth', enabledDrivers: ['veth'], linkIface: '', ...overrides.binding },
    neutron: {
      enableDhcp: true, defaultSubnetpoolV4: 'kuryr', defaultSubnetpoolV6: 'kuryr6', vifPluggingIsFatal: false,
      vifPluggingTimeout: 0, regionName: undefined, endpointType: 'public', cafile: undefined, insecure: false, timeout: 30,
      auth: { type: 'none', endpointOverride: 'http://neutron.invalid' },
      ...overrides.neutron,
    },
    sriov: { sysfsRoot: '/sys', physicalDeviceMappings: new Map(), excludeDevices: new Map(), ...overrides.sriov },
  };
}

export interface RecordingPortDriver extends PortDriver {
  /** host interfaces currently plugged, by port id */
  plugged: Map<string, { endpointId: string; vifType: string | undefined; mtu: number | undefined }>;
  calls: string[];
  failCreate: Error | undefined;
}

export function recordingPortDriver(kind: 'veth' | 'sriov' = 'veth'): RecordingPortDriver {
  const d: RecordingPortDriver = {
    kind,
    supportedBindings: kind === 'veth' ? ['veth'] : ['hw_veb'],
    plugged: new Map(),
    calls: [],
    failCreate: undefined,
    async createHostIface({ endpointId, port, network }) {
      d.calls.push(`create ${port.id}`);
      if (d.failCreate) throw d.failCreate;
      d.plugged.set(port.id, { endpointId, vifType: port['binding:vif_type'], mtu: network.mtu });
    },
    async deleteHostIface({ port }) {
      d.calls.push(`delete ${port.id}`);
      d.plugged.delete(port.id);
    },
    async containerIfName(port) { return `t_c${port.id.slice(0, 11)}`; },
    async onJoin(endpointId, sandboxKey) { d.calls.push(`join ${endpointId} ${sandboxKey}`); },
  };
  return d;
}

export function fakeClock(start = 1_000_000): Clock & { advanced: number } {
  const c = {
    t: start,
    advanced: 0,
    now: () => c.t,
    sleep: async (ms: number) => { c.t += ms; c.advanced += ms; },
  };
  return c;
}

export function testContext(neutron: NeutronClient, opts: { config?: KuryrConfig; driver?: RecordingPortDriver; clock?: Clock; tags?: boolean } = {}):
  HandlerContext & { driver: RecordingPortDriver } {
  const config = opts.config ?? testConfig();
  const driver = opts.driver ?? recordingPortDriver();
  return {
    config,
    neutron,
    identity: opts.tags === false ? nameIdentity : tagIdentity,
    portDrivers: createPortDriverRegistry(config, { veth: () => driver, sriov: () => recordingPortDriver('sriov') }),
    locks: createKeyedMutex(),
    clock: opts.clock ?? fakeClock(),
    log: silentLog,
    pendingCidrs: new Set(),
    adoptedAddresses: new Set(),
    driver,
  };
}
