// In-memory `ovs-vsctl`: `--`-separated transactions of add-port / del-port / set Interface external_ids
// against a set of known bridges; a failing command applies nothing. Test-only (excluded from the build).
import { Failure, type FakeOvs } from './types.ts';

export function createOvsEmulation() {
  const ovs: FakeOvs = { bridges: new Set(), ports: new Map() };

  function run(argv: readonly string[]): string {
    // split into `--`-separated commands; leading tokens before the first `--` are global options
    const groups: string[][] = [[]];
    for (const t of argv.slice(1)) {
      if (t === '--') groups.push([]);
      else groups[groups.length - 1]?.push(t);
    }
    const cmds = groups.filter((g) => g.length > 0 && !g.every((t) => t.startsWith('--')));
    // plan the transaction on a copy so a failing command applies nothing
    const ports = new Map([...ovs.ports].map(([k, v]) => [k, { ...v, externalIds: { ...v.externalIds } }]));
    for (const cmd of cmds) {
      const opts = new Set(cmd.filter((t) => t.startsWith('--')));
      const [verb, ...rest] = cmd.filter((t) => !t.startsWith('--'));
      if (verb === 'add-port') {
        const [br = '', port = ''] = rest;
        if (!ovs.bridges.has(br)) throw new Failure(1, `ovs-vsctl: no bridge named ${br}`);
        const cur = ports.get(port);
        if (cur !== undefined) {
          if (!opts.has('--may-exist')) throw new Failure(1, `ovs-vsctl: cannot create a port named ${port} because a port named ${port} already exists on bridge ${cur.bridge}`);
          if (cur.bridge !== br) throw new Failure(1, `ovs-vsctl: "--may-exist add-port ${br} ${port}" but ${port} is actually attached to bridge ${cur.bridge}`);
        } else {
          ports.set(port, { bridge: br, name: port, externalIds: {} });
        }
      } else if (verb === 'del-port') {
        const [a = '', b] = rest;
        const port = b ?? a;
        const cur = ports.get(port);
        if (cur === undefined || (b !== undefined && cur.bridge !== a)) {
          if (!opts.has('--if-exists')) throw new Failure(1, `ovs-vsctl: no port named ${port}`);
        } else {
          ports.delete(port);
        }
      } else if (verb === 'set' && rest[0]?.toLowerCase() === 'interface') {
        const name = rest[1] ?? '';
        const cur = ports.get(name);
        if (cur === undefined) throw new Failure(1, `ovs-vsctl: no row "${name}" in table Interface`);
        for (const kv of rest.slice(2)) {
          const m = /^external[-_]ids:([^=]+)=(.*)$/u.exec(kv);
          if (m === null) throw new Error(`FakeExec: unsupported ovs-vsctl set column ${kv}`);
          cur.externalIds[m[1] ?? ''] = m[2] ?? '';
        }
      } else {
        throw new Error(`FakeExec: unsupported ovs-vsctl command ${cmd.join(' ')}`);
      }
    }
    ovs.ports.clear();
    for (const [k, v] of ports) ovs.ports.set(k, v);
    return '';
  }
  return { ovs, run };
}
