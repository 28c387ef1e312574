// Small pure helpers over ip-address: CIDR parts, the network of an interface address, the first host of a
// pool (Neutron's default gateway). Input is assumed validated by the protocol schemas.
import { Address4, Address6 } from 'ip-address';

export type IpVersion = 4 | 6;

export function ipVersion(ip: string): IpVersion {
  return Address4.isValid(ip.split('/')[0] ?? '') ? 4 : 6;
}

export function splitCidr(cidr: string): { ip: string; prefixLen: number } {
  const [ip = '', len = ''] = cidr.split('/');
  return { ip, prefixLen: Number(len) };
}

export function prefixLen(cidr: string): number {
  return splitCidr(cidr).prefixLen;
}

/** "10.0.0.5/24" → "10.0.0.0/24"; "fd00::5/64" → "fd00::/64" (canonical forms, as Neutron prints them) */
export function networkOf(cidr: string): string {
  const { prefixLen: len } = splitCidr(cidr);
  if (ipVersion(cidr) === 4) {
    return `${new Address4(cidr).startAddress().correctForm()}/${len}`;
  }
  return `${new Address6(cidr).startAddress().correctForm()}/${len}`;
}

/** first usable host of a CIDR (Neutron's default gateway_ip) */
export function firstHost(cidr: string): string {
  if (ipVersion(cidr) === 4) {
    return Address4.fromBigInt(new Address4(cidr).startAddress().bigInt() + 1n).correctForm();
  }
  return Address6.fromBigInt(new Address6(cidr).startAddress().bigInt() + 1n).correctForm();
}

export function sameIp(a: string, b: string): boolean {
  if (ipVersion(a) !== ipVersion(b)) return false;
  if (ipVersion(a) === 4) return a === b;
  return new Address6(a).correctForm() === new Address6(b).correctForm();
}

export function cidrEquals(a: string, b: string): boolean {
  return networkOf(a) === networkOf(b) && prefixLen(a) === prefixLen(b);
}

function range(cidr: string): { v: IpVersion; start: bigint; end: bigint } {
  const v = ipVersion(cidr);
  const a = v === 4 ? new Address4(cidr) : new Address6(cidr);
  return { v, start: a.startAddress().bigInt(), end: a.endAddress().bigInt() };
}

export function overlaps(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.v === y.v && x.start <= y.end && y.start <= x.end;
}

/**
 * The first CIDR of length `len` inside one of `prefixes` that overlaps none of `used` — how the plugin carves a
 * network out of a default subnetpool. Undefined when the pool is full.
 */
export function firstFreeSubnet(prefixes: readonly string[], len: number, used: readonly string[]): string | undefined {
  for (const prefix of prefixes) {
    const { v, start, end } = range(prefix);
    const bits = v === 4 ? 32 : 128;
    if (len < prefixLen(prefix) || len > bits) continue;
    const size = 1n << BigInt(bits - len);
    for (let s = start; s + size - 1n <= end; s += size) {
      const candidate = `${(v === 4 ? Address4.fromBigInt(s) : Address6.fromBigInt(s)).correctForm()}/${len}`;
      const clash = used.find((u) => overlaps(u, candidate));
      if (clash === undefined) return candidate;
      // jump past the clashing subnet when it is larger than a candidate
      const r = range(clash);
      if (r.end > s + size - 1n) s = ((r.end + 1n - start) / size) * size + start - size;
    }
  }
  return undefined;
}
