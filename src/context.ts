// What every Docker-call handler gets: the configuration, the Neutron client, the port-driver registry and
// the process-wide locks. Built once by the composition root (cli/serve.ts) or by tests with fakes.
import type { KuryrConfig } from './config/types.ts';
import type { NeutronClient } from './neutron/client.ts';
import type { PortDriverRegistry } from './port-drivers/registry.ts';
import type { Clock } from './util/clock.ts';
import type { KeyedMutex } from './util/keyed-mutex.ts';
import type { Log } from './util/log.ts';

export interface HandlerContext {
  config: KuryrConfig;
  neutron: NeutronClient;
  portDrivers: PortDriverRegistry;
  locks: KeyedMutex;
  clock: Clock;
  log: Log;
}
