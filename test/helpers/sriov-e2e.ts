// Shared by the SR-IOV end-to-end files: the real `ip` (the stand-in in test/helpers/fake-ip goes first only in
// the plugin's PATH), where that stand-in lives, and the shapes of a direct port and of a VF ledger entry.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { NeutronPort } from './e2e.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

export const FAKE_IP_DIR = join(REPO, 'test/helpers/fake-ip');
export const IP = '/usr/sbin/ip';

export interface SriovPort extends NeutronPort {
  'binding:vnic_type': string;
  'binding:profile': Record<string, unknown>;
  'binding:vif_details': Record<string, unknown>;
}

export interface LedgerRecord { endpointId: string; portId: string; pci: string; pf: string; vfIndex: number; sandboxKey?: string }

/** the real `ip`; with allowFail a failure reads as empty output */
export async function ip(args: string[], allowFail = false): Promise<string> {
  try {
    return (await run(IP, args)).stdout;
  } catch (e) {
    if (allowFail) return '';
    throw e;
  }
}
