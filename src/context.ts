// What every Docker-call handler gets: the configuration, the Neutron client, the port-driver registry and
// the process-wide locks. Built once by the composition root (cli/serve.ts) or by tests with fakes.
import type { KuryrConfig } from './config/types.ts';
import type { NeutronClient } from './neutron/client.ts';
import type { Identity } from './neutron/identity.ts';
import type { PortDriverRegistry } from './port-drivers/registry.ts';
import type { Clock } from './util/clock.ts';
import type { KeyedMutex } from './util/keyed-mutex.ts';
import type { Log } from './util/log.ts';

export interface HandlerContext {
  config: KuryrConfig;
  neutron: NeutronClient;
  /** tags (standard-attr-tag) or upstream's names, chosen at start-up */
  identity: Identity;
  portDrivers: PortDriverRegistry;
  locks: KeyedMutex;
  clock: Clock;
  log: Log;
  /**
   * CIDRs handed out from a default subnetpool by RequestPool whose subnet CreateNetwork has not made yet
   * (key `<pool id>/<cidr>`), so two networks created at once never get the same CIDR.
   */
  pendingCidrs: Set<string>;
  /**
   * Addresses of pre-existing ports adopted by RequestAddress whose endpoint does not exist yet (key
   * `<port id>/<subnet id>`): a dual-stack port is adopted once per family, but one address never twice.
   */
  adoptedAddresses: Set<string>;
}
