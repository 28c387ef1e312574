// Pure IPv4/IPv6 and CIDR arithmetic on bigints: parsing and canonical formatting, containment, overlap
// and Neutron's default allocation pools. No state. Test-only (excluded from the build).
import { Address6 } from 'ip-address';

export interface Ip { version: 4 | 6; value: bigint }
export interface Cidr { version: 4 | 6; start: bigint; prefixlen: number }

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseIp(s: unknown): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  if (V4_RE.test(s)) {
    const value = s.split('.').reduce((acc, o) => (acc << 8n) + BigInt(o), 0n);
    return { version: 4, value };
  }
  if (!s.includes(':') || s.includes('%') || s.includes('/')) return undefined;
  try {
    return { version: 6, value: new Address6(s).bigInt() };
  } catch {
    return undefined;
  }
}

export function formatIp(version: 4 | 6, value: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => ((value >> sh) & 255n).toString()).join('.');
  }
  return Address6.fromBigInt(value).correctForm();
}

export function bitsOf(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}

function blockSize(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.version) - c.prefixlen);
}

export function cidrEnd(c: Cidr): bigint {
  return c.start + blockSize(c) - 1n;
}

/** Parses a CIDR and clears host bits (Neutron accepts 10.0.0.5/24 and stores 10.0.0.0/24). */
export function parseCidr(s: unknown): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixlen = Number(lenText);
  if (prefixlen > bitsOf(ip.version)) return undefined;
  const size = 1n << BigInt(bitsOf(ip.version) - prefixlen);
  return { version: ip.version, start: ip.value - (ip.value % size), prefixlen };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.start)}/${c.prefixlen}`;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.start <= cidrEnd(b) && b.start <= cidrEnd(a);
}

export function containsIp(c: Cidr, ip: Ip): boolean {
  return c.version === ip.version && ip.value >= c.start && ip.value <= cidrEnd(c);
}

export interface IpRange { start: bigint; end: bigint }

/** Neutron's default pools: the cidr minus network (v4), broadcast (v4) and the gateway. */
export function defaultPools(c: Cidr, gateway: bigint | undefined): IpRange[] {
  let first = c.start + 1n;
  let last = c.version === 4 ? cidrEnd(c) - 1n : cidrEnd(c);
  if (c.version === 4 && c.prefixlen >= 31) {
    first = c.start;
    last = cidrEnd(c);
  }
  if (first > last) return [];
  if (gateway === undefined || gateway < first || gateway > last) return [{ start: first, end: last }];
  const out: IpRange[] = [];
  if (gateway > first) out.push({ start: first, end: gateway - 1n });
  if (gateway < last) out.push({ start: gateway + 1n, end: last });
  return out;
}

/** An IP in the form Neutron stores it (dotted quad / RFC 5952); other text is returned as is. */
export function canonicalIp(s: string): string {
  const ip = parseIp(s);
  return ip === undefined ? s : formatIp(ip.version, ip.value);
}
