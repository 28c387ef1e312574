// Syntactic validation of values that end up in host command argv or sysfs paths: interface names, MACs,
// CIDRs, PCI addresses, UUIDs, MTUs. Pure functions; each throws InvalidRequestError naming the bad value.
// Must not touch the host or know where a value came from (Docker, Neutron, config): callers add context.
import { Address4, Address6 } from 'ip-address';
import { InvalidRequestError } from '../errors.ts';

/** Linux IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX_BYTES = 15;

function invalid(what: string, value: unknown, why: string, code: 'ERR_INVALID_NAME' | 'ERR_INVALID_REQUEST' = 'ERR_INVALID_NAME'): never {
  throw new InvalidRequestError(code, `invalid ${what} ${JSON.stringify(value)}: ${why}`, { details: { what, value } });
}

function requireString(what: string, value: unknown): string {
  if (typeof value !== 'string') invalid(what, value, 'not a string');
  return value;
}

/**
 * A Linux network interface name as the kernel's dev_valid_name() accepts it (1–15 bytes, not '.' or '..',
 * no '/', ':' or whitespace), plus two rules of ours: no control characters and no leading '-', so a name can
 * never be read as an option by `ip`. Returns the name unchanged.
 */
export function assertIfName(value: unknown, what = 'interface name'): string {
  const name = requireString(what, value);
  if (name.length === 0) invalid(what, name, 'empty');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAME_MAX_BYTES) invalid(what, name, `${bytes} bytes, the kernel allows at most ${IFNAME_MAX_BYTES}`);
  if (name === '.' || name === '..') invalid(what, name, "'.' and '..' are reserved");
  if (name.includes('/')) invalid(what, name, "contains '/'");
  if (name.includes(':')) invalid(what, name, "contains ':'");
  if (/\s/u.test(name)) invalid(what, name, 'contains whitespace');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/u.test(name)) invalid(what, name, 'contains a control character');
  if (name.startsWith('-')) invalid(what, name, "starts with '-'");
  return name;
}

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/iu;

/** A 48-bit MAC written as six colon-separated hex pairs. Returns it in lower case. */
export function assertMac(value: unknown, what = 'MAC address'): string {
  const mac = requireString(what, value);
  if (!MAC_RE.test(mac)) invalid(what, mac, 'expected six colon-separated hex pairs, e.g. fa:16:3e:12:34:56');
  return mac.toLowerCase();
}

const PCI_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/iu;

/**
 * A PCI address in the full sysfs form `dddd:bb:dd.f` (domain, bus, device 00–1f, function 0–7).
 * Returns it in lower case, the form sysfs uses, so it can be compared by string equality.
 */
export function assertPciAddress(value: unknown, what = 'PCI address'): string {
  const pci = requireString(what, value);
  if (!PCI_RE.test(pci)) invalid(what, pci, 'expected domain:bus:device.function, e.g. 0000:03:10.1');
  return pci.toLowerCase();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** A UUID in 8-4-4-4-12 hex form (Neutron resource IDs). Returns it in lower case. */
export function assertUuid(value: unknown, what = 'UUID'): string {
  const id = requireString(what, value);
  if (!UUID_RE.test(id)) invalid(what, id, 'expected 8-4-4-4-12 hex digits');
  return id.toLowerCase();
}

const PLAIN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/u;

/**
 * An opaque identifier that is passed on as one argv element or `key=value` pair (Docker endpoint IDs,
 * Keystone project IDs): letters, digits, '_', '.', '-', starting with a letter or digit, at most 255 chars.
 */
export function assertPlainId(value: unknown, what = 'identifier'): string {
  const id = requireString(what, value);
  if (!PLAIN_ID_RE.test(id)) invalid(what, id, "expected letters, digits, '_', '.' or '-' (at most 255)");
  return id;
}

/** Inclusive range an MTU must fall in: 68 is the IPv4 minimum, 65535 the largest value netlink carries. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

/** An integer MTU in [68, 65535]. Not a name, so it fails with ERR_INVALID_REQUEST. */
export function assertMtu(value: unknown, what = 'MTU'): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) invalid(what, value, 'not an integer', 'ERR_INVALID_REQUEST');
  if (value < MTU_MIN || value > MTU_MAX) invalid(what, value, `outside ${MTU_MIN}..${MTU_MAX}`, 'ERR_INVALID_REQUEST');
  return value;
}

export interface ParsedCidr {
  family: 4 | 6;
  /** the address part in canonical form (IPv6 compressed, lower case) */
  address: string;
  prefixLength: number;
  /** the network address (host bits cleared) in canonical form */
  network: string;
  /** `${network}/${prefixLength}` */
  cidr: string;
}

/**
 * Parses `address/prefix` (IPv4 or IPv6). The prefix is mandatory and written in decimal without leading
 * zeros; IPv6 zone IDs (`%eth0`) are refused. With `{ strict: true }` host bits must be zero.
 */
export function parseCidr(value: unknown, opts: { strict?: boolean } = {}, what = 'CIDR'): ParsedCidr {
  const text = requireString(what, value);
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/u.exec(text);
  if (m === null) invalid(what, text, 'expected address/prefix-length, e.g. 10.0.0.0/24 or fd00::/64');
  const addrText = m[1] ?? '';
  const prefixLength = Number(m[2]);
  if (addrText.includes('%')) invalid(what, text, 'IPv6 zone IDs are not allowed');
  let parsed: ParsedCidr;
  if (addrText.includes(':')) {
    if (prefixLength > 128) invalid(what, text, 'IPv6 prefix length must be 0..128');
    let a: Address6;
    try { a = new Address6(`${addrText}/${prefixLength}`); } catch (cause) {
      throw new InvalidRequestError('ERR_INVALID_NAME', `invalid ${what} ${JSON.stringify(text)}: not an IPv6 address`, { cause, details: { what, value: text } });
    }
    const network = a.startAddress().correctForm();
    parsed = { family: 6, address: a.correctForm(), prefixLength, network, cidr: `${network}/${prefixLength}` };
  } else {
    if (prefixLength > 32) invalid(what, text, 'IPv4 prefix length must be 0..32');
    let a: Address4;
    try { a = new Address4(`${addrText}/${prefixLength}`); } catch (cause) {
      throw new InvalidRequestError('ERR_INVALID_NAME', `invalid ${what} ${JSON.stringify(text)}: not an IPv4 address`, { cause, details: { what, value: text } });
    }
    const network = a.startAddress().correctForm();
    parsed = { family: 4, address: a.correctForm(), prefixLength, network, cidr: `${network}/${prefixLength}` };
  }
  if (opts.strict === true && parsed.address !== parsed.network) {
    invalid(what, text, `host bits are set (network is ${parsed.cidr})`);
  }
  return parsed;
}

/** Validates a CIDR (see parseCidr) and returns it in canonical form, keeping the address part. */
export function assertCidr(value: unknown, opts: { strict?: boolean } = {}, what = 'CIDR'): string {
  const p = parseCidr(value, opts, what);
  return `${p.address}/${p.prefixLength}`;
}
