// The VF ledger: which endpoint holds which VF, what the VF looked like before we touched it, and in which
// sandbox it went — persisted (atomic JSON under [DEFAULT] state_path) before any VF is changed, so a crash
// never loses a VF's original settings or leaks the VF. All access is serialised through one mutex.
import { z } from 'zod';
import { createFileStateStore, type StateStore } from '../state/file-store.ts';
import { createKeyedMutex } from '../util/keyed-mutex.ts';

const snapshot = z.object({
  mac: z.string(),
  vlan: z.number(),
  qos: z.number(),
  vlanProto: z.string().optional(),
  spoofchk: z.boolean().optional(),
  trust: z.boolean().optional(),
  linkState: z.string().optional(),
  minTxRate: z.number().optional(),
  maxTxRate: z.number().optional(),
  mtu: z.number().optional(),
  netdevMac: z.string().optional(),
});
export type VfSnapshot = z.infer<typeof snapshot>;

const record = z.object({
  endpointId: z.string(),
  portId: z.string(),
  pci: z.string(),
  pf: z.string(),
  vfIndex: z.number(),
  netdev: z.string().optional(),
  vnicType: z.string(),
  /** true when the plugin chose the VF and wrote pci_slot into the port's binding:profile */
  allocated: z.boolean(),
  /** the port's binding:profile before we wrote ours, restored on release */
  profileBefore: z.record(z.string(), z.unknown()).nullable().optional(),
  /** the VF's settings before the first change */
  saved: snapshot.optional(),
  /** Join's SandboxKey: when that namespace is gone the endpoint is dead */
  sandboxKey: z.string().optional(),
  since: z.string(),
});
export type VfRecord = z.infer<typeof record>;

const stateSchema = z.object({ v: z.literal(1), endpoints: z.record(z.string(), record) });
export type VfState = z.infer<typeof stateSchema>;

export interface VfLedger {
  /** run a read-modify-write over the whole ledger; the state is saved when fn returns */
  update<T>(fn: (state: VfState) => Promise<T> | T): Promise<T>;
  read(): Promise<VfState>;
}

export function createVfLedger(store: StateStore<VfState>): VfLedger {
  const mutex = createKeyedMutex();
  let cache: VfState | undefined;
  async function current(): Promise<VfState> {
    cache ??= (await store.load()) ?? { v: 1, endpoints: {} };
    return cache;
  }
  return {
    update: (fn) => mutex.run('ledger', async () => {
      const state = structuredClone(await current());
      const result = await fn(state);
      await store.save(state);
      cache = state;
      return result;
    }),
    read: () => mutex.run('ledger', async () => structuredClone(await current())),
  };
}

export function createFileVfLedger(path: string): VfLedger {
  return createVfLedger(createFileStateStore(path, (raw) => stateSchema.parse(raw)));
}

export function heldPcis(state: VfState): Set<string> {
  return new Set(Object.values(state.endpoints).map((r) => r.pci));
}
