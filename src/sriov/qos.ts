// VF transmit rates from a Neutron QoS policy, as Neutron's own SR-IOV agent applies them: the egress
// bandwidth_limit rule → max_tx_rate and the egress minimum_bandwidth rule → min_tx_rate, kbps converted to the
// VF's Mbps by rounding, with anything between 0 and 1000 kbps becoming 1 Mbps. Pure.
import type { NeutronQosPolicy } from '../neutron/types.ts';

export interface VfRates { minTxRate: number | undefined; maxTxRate: number | undefined }

export function kbpsToMbps(kbps: number): number {
  if (kbps <= 0) return 0;
  return Math.max(1, Math.round(kbps / 1000));
}

export function ratesFromPolicy(policy: NeutronQosPolicy | undefined): VfRates {
  const egress = (policy?.rules ?? []).filter((r) => (r.direction ?? 'egress') === 'egress');
  const max = egress.find((r) => r.type === 'bandwidth_limit')?.max_kbps;
  const min = egress.find((r) => r.type === 'minimum_bandwidth')?.min_kbps;
  return {
    maxTxRate: typeof max === 'number' ? kbpsToMbps(max) : undefined,
    minTxRate: typeof min === 'number' ? kbpsToMbps(min) : undefined,
  };
}
