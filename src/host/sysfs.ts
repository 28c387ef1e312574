// The Sysfs seam: a reader (and the one writer, for sriov_numvfs) rooted at an injected directory — `/sys` in
// production, a temp tree built by src/testing/sysfs-tree.ts in tests. Paths are relative to the root and
// refused before use if absolute or containing '..' or NUL. Errno values are translated here (ENOENT →
// NotFoundError ERR_SYSFS_NOT_FOUND, the rest → ERR_SYSFS_IO); callers never see a raw errno. No parsing:
// SR-IOV meaning lives in host/sriov.ts. Besides the state store, the only module that may import node:fs.
import { constants } from 'node:fs';
import { open, readdir, readFile, readlink, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InvalidRequestError, NotFoundError, PluginError } from '../errors.ts';

export interface Sysfs {
  /** absolute root every path is resolved against (e.g. '/sys') */
  readonly root: string;
  /** the file's text without its trailing newline (sysfs attributes end with one) */
  readText(rel: string): Promise<string>;
  /** the raw target of a symlink (relative, as the kernel writes it: '../0000:03:00.0') */
  readLink(rel: string): Promise<string>;
  /** the entries of a directory, sorted by code point ('.' and '..' excluded) */
  list(rel: string): Promise<string[]>;
  /** whether the path exists, following symlinks (a dangling link does not exist) */
  exists(rel: string): Promise<boolean>;
  /**
   * Writes an existing attribute (O_WRONLY|O_TRUNC, never creates a file: real sysfs cannot either).
   * Only for writable attributes such as `sriov_numvfs`.
   */
  writeText(rel: string, value: string): Promise<void>;
}

/**
 * Checks a root-relative sysfs path: non-empty, not absolute, no '..' segment, no NUL. '' and '.' are refused
 * too — nothing reads the sysfs root itself. Returns the path unchanged.
 */
export function assertSysfsPath(rel: unknown): string {
  const bad = (why: string): never => {
    throw new InvalidRequestError('ERR_SYSFS_PATH', `refused sysfs path ${JSON.stringify(rel)}: ${why}`, { details: { path: rel } });
  };
  if (typeof rel !== 'string') return bad('not a string');
  if (rel === '' || rel === '.') return bad('empty');
  if (rel.includes('\u0000')) return bad('contains a NUL byte');
  if (rel.startsWith('/')) return bad('absolute (paths are relative to the sysfs root)');
  if (rel.split('/').includes('..')) return bad("contains a '..' segment");
  return rel;
}

function translate(e: unknown, op: string, rel: string, abs: string): PluginError {
  const errno = (e as NodeJS.ErrnoException | null)?.code;
  const details = { path: rel, absPath: abs, op, ...(errno === undefined ? {} : { errno }) };
  if (errno === 'ENOENT' || errno === 'ENOTDIR') {
    return new NotFoundError('ERR_SYSFS_NOT_FOUND', `sysfs ${op} ${abs}: no such file or directory`, { cause: e, details });
  }
  // EBUSY: e.g. changing a non-zero sriov_numvfs on most NICs (write 0 first); EAGAIN: device mid-reset
  const retryable = errno === 'EBUSY' || errno === 'EAGAIN';
  const why = e instanceof Error ? e.message : String(e);
  return new PluginError('ERR_SYSFS_IO', `sysfs ${op} ${abs} failed: ${why}`, { cause: e, details, retryable });
}

export function createSysfs(root = '/sys'): Sysfs {
  const absRoot = path.resolve(root);
  const resolve = (rel: string): string => path.join(absRoot, assertSysfsPath(rel));

  return {
    root: absRoot,
    async readText(rel) {
      const abs = resolve(rel);
      try {
        const text = await readFile(abs, 'utf8');
        return text.endsWith('\n') ? text.slice(0, -1) : text;
      } catch (e) { throw translate(e, 'read', rel, abs); }
    },
    async readLink(rel) {
      const abs = resolve(rel);
      try { return await readlink(abs); } catch (e) { throw translate(e, 'readlink', rel, abs); }
    },
    async list(rel) {
      const abs = resolve(rel);
      try {
        const names = await readdir(abs);
        return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      } catch (e) { throw translate(e, 'list', rel, abs); }
    },
    async exists(rel) {
      const abs = resolve(rel);
      try {
        await stat(abs);
        return true;
      } catch (e) {
        const errno = (e as NodeJS.ErrnoException).code;
        if (errno === 'ENOENT' || errno === 'ENOTDIR') return false;
        throw translate(e, 'stat', rel, abs);
      }
    },
    async writeText(rel, value) {
      const abs = resolve(rel);
      if (value.includes('\u0000')) {
        throw new InvalidRequestError('ERR_INVALID_REQUEST', `refused sysfs write to ${abs}: value contains a NUL byte`, { details: { path: rel } });
      }
      let fh: FileHandle | undefined;
      try {
        // no O_CREAT: a missing attribute is an error, as on real sysfs. The kernel reports a refused value
        // (EINVAL, EBUSY) from write(2), so the write's error is the one to keep.
        fh = await open(abs, constants.O_WRONLY | constants.O_TRUNC);
        await fh.writeFile(value, 'utf8');
        const done = fh;
        fh = undefined;
        await done.close();
      } catch (e) {
        await fh?.close().catch(() => undefined);
        throw translate(e, 'write', rel, abs);
      }
    },
  };
}
