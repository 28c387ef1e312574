// Start-up probe of the Neutron API extensions the plugin relies on. subnet_allocation is mandatory and is
// retried with back-off, because after a reboot the plugin may start before neutron-server (bug 1850936).
import { PluginError, UnavailableError } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import type { Log } from '../util/log.ts';
import type { NeutronClient } from './client.ts';

/** seconds to wait before each attempt, as upstream */
export const EXTENSION_RETRY_DELAYS = [0, 1, 3, 7, 15, 31, 63] as const;

export interface NeutronFeatures { tags: boolean }

export async function probeExtensions(
  neutron: NeutronClient, clock: Clock, log: Log, delays: readonly number[] = EXTENSION_RETRY_DELAYS,
): Promise<NeutronFeatures> {
  let lastError: unknown;
  for (const delay of delays) {
    if (delay > 0) await clock.sleep(delay * 1000);
    try {
      if (!(await neutron.hasExtension('subnet_allocation'))) {
        throw new PluginError('ERR_NEUTRON_EXTENSION_MISSING', "Neutron extension with alias 'subnet_allocation' not found");
      }
      const tags = await neutron.hasExtension('standard-attr-tag');
      if (!tags) log.warn({}, "Neutron has no 'standard-attr-tag' extension: resources are identified by name (upstream's fallback)");
      return { tags };
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      lastError = err;
      log.warn({ err: err.message, nextDelayS: delays[delays.indexOf(delay) + 1] }, 'Neutron not reachable yet');
    }
  }
  throw lastError;
}
