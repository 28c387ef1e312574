// The typed configuration the rest of the plugin sees (camelCase). config/options.ts declares every
// option (oslo name, type, default) and config/load.ts turns INI files + environment into this shape.

import type { LogLevelName } from './logging-settings.ts';

export type PortDriverName = 'veth' | 'sriov' | 'nested' | 'vlan';
export type BindingDriverName = 'veth' | 'hw_veb' | 'macvlan' | 'ipvlan' | 'vlan';

export type NeutronAuthConfig =
  | { type: 'none'; endpointOverride: string }
  | {
      type: 'password';
      authUrl: string;
      username?: string;
      userId?: string;
      password: string;
      projectName?: string;
      projectId?: string;
      userDomainName?: string;
      userDomainId?: string;
      projectDomainName?: string;
      projectDomainId?: string;
      /** optional: bypass the catalog */
      endpointOverride?: string;
    }
  | {
      /** Keystone v3 application credential: always scoped to the project it was created in */
      type: 'v3applicationcredential';
      authUrl: string;
      /** by id; or by name, which needs the owning user (userId, or username + user domain) */
      applicationCredentialId?: string;
      applicationCredentialName?: string;
      applicationCredentialSecret: string;
      username?: string;
      userId?: string;
      userDomainName?: string;
      userDomainId?: string;
      /** optional: bypass the catalog */
      endpointOverride?: string;
    };

/** The auth types that talk to Keystone. */
export type KeystoneAuthConfig = Exclude<NeutronAuthConfig, { type: 'none' }>;

export interface KuryrConfig {
  default: {
    /** unix:///path.sock or http://host:port */
    kuryrUri: string;
    capabilityScope: 'local' | 'global';
    localDefaultAddressSpace: string;
    globalDefaultAddressSpace: string;
    /** deprecated upstream option; read but unused (as upstream) */
    portDriver: string;
    defaultPortDriver: PortDriverName;
    enabledPortDrivers: PortDriverName[];
    processExternalConnectivity: boolean;
    sslCertFile: string;
    sslKeyFile: string;
    enableSsl: boolean;
    bindir: string;
    subnetpoolNamePrefix: string;
    deploymentType: string;
    pybasedir: string;
    /** binding:host_id for ports bound here; defaults to the OS hostname (must match the Neutron agents' host) */
    host: string;
    /** where local state lives (SR-IOV allocations, lock file) */
    statePath: string;
    debug: boolean;
    logFile: string | undefined;
    /** the honoured oslo.log options (where the log goes, its format, per-logger levels) */
    logging: {
      useStderr: boolean;
      useSyslog: boolean;
      /** syslog facility code (LOG_USER = 1) */
      syslogFacility: number;
      useJournal: boolean;
      useJson: boolean;
      /** default_log_levels as [logger, level], in file order */
      levels: Array<[string, LogLevelName]>;
    };
    /** `http://host:port` of the Prometheus listener ([DEFAULT] metrics_uri); absent = no metrics */
    metricsUri?: string;
  };
  binding: {
    vethDstPrefix: string;
    defaultDriver: BindingDriverName;
    enabledDrivers: BindingDriverName[];
    linkIface: string;
  };
  neutron: {
    /** sent as given in enable_dhcp of created subnets (upstream StrOpt "True") */
    enableDhcp: boolean;
    defaultSubnetpoolV4: string;
    defaultSubnetpoolV6: string;
    vifPluggingIsFatal: boolean;
    vifPluggingTimeout: number;
    regionName: string | undefined;
    endpointType: 'public' | 'admin' | 'internal';
    cafile: string | undefined;
    /** PEM client certificate / key for Keystone and Neutron TLS (keystoneauth session options); unset = none */
    certfile?: string;
    keyfile?: string;
    insecure: boolean;
    /** per-request timeout, seconds */
    timeout: number;
    auth: NeutronAuthConfig;
  };
  sriov: {
    sysfsRoot: string;
    /** physnet → PF netdevs, validated ([sriov] physical_device_mappings) */
    physicalDeviceMappings: Map<string, string[]>;
    /** PF netdev → excluded VF PCI addresses ([sriov] exclude_devices) */
    excludeDevices: Map<string, Set<string>>;
  };
}
