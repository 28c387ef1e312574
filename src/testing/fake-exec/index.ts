// The scripted-response core of the fake Exec: records every call, answers from `on`/`failOn` scripts
// (newest first), registered executables and `test -x`, then falls back to the `ip link` and
// `ovs-vsctl` emulations; non-ok exit codes throw HostCommandError like host/exec.ts. Test-only.
import { HostCommandError } from '../../errors.ts';
import type { ExecOptions, ExecResult } from '../../host/exec.ts';
import { createLinkEmulation } from './ip-link.ts';
import { createOvsEmulation } from './ovs.ts';
import {
  Failure, type ArgvMatcher, type FakeExec, type FakeExecCall, type FakeReply, type FakeReplyValue,
} from './types.ts';

/** Matches argv containing `tokens` as a contiguous run, e.g. argvIncludes('link', 'set', 'dev', 'tap1'). */
export function argvIncludes(...tokens: string[]): (argv: readonly string[]) => boolean {
  return (argv) => {
    for (let i = 0; i + tokens.length <= argv.length; i++) {
      if (tokens.every((t, j) => argv[i + j] === t)) return true;
    }
    return false;
  };
}

function matches(m: ArgvMatcher, argv: readonly string[]): boolean {
  if (typeof m === 'function') return m(argv);
  return m.length <= argv.length && m.every((t, i) => argv[i] === t);
}

export function createFakeExec(opts: { ovsBridges?: readonly string[] } = {}): FakeExec {
  const calls: FakeExecCall[] = [];
  const scripted: Array<{ match: ArgvMatcher; reply: FakeReply; left: number }> = [];
  const executables = new Map<string, FakeReply>();
  const ip = createLinkEmulation();
  const ovsEmu = createOvsEmulation();
  for (const b of opts.ovsBridges ?? []) ovsEmu.ovs.bridges.add(b);

  async function answer(argv: readonly string[], o: ExecOptions): Promise<FakeReplyValue> {
    for (let k = scripted.length - 1; k >= 0; k--) {
      const s = scripted[k];
      if (s === undefined || s.left <= 0 || !matches(s.match, argv)) continue;
      s.left--;
      return typeof s.reply === 'function' ? s.reply(argv, o) : s.reply;
    }
    const file = argv[0] ?? '';
    const exe = executables.get(file);
    if (exe !== undefined) return typeof exe === 'function' ? exe(argv, o) : exe;
    try {
      if (file === 'ip' || file.endsWith('/ip')) return { stdout: ip.run(argv) };
      if ((file === 'ovs-vsctl' || file.endsWith('/ovs-vsctl')) && ovsEmu.ovs.bridges.size > 0) return { stdout: ovsEmu.run(argv) };
    } catch (e) {
      if (e instanceof Failure) return { code: e.code, stderr: e.stderr + '\n' };
      throw e;
    }
    if ((file === 'test' || file.endsWith('/test')) && argv[1] === '-x' && argv.length === 3) {
      return { code: executables.has(argv[2] ?? '') ? 0 : 1 };
    }
    throw new Error(`FakeExec: no response scripted or emulated for: ${argv.join(' ')}`);
  }

  const fake: FakeExec = {
    calls,
    async run(argvIn, o = {}): Promise<ExecResult> {
      const argv = [...argvIn];
      const call: FakeExecCall = { argv, opts: o, code: undefined };
      calls.push(call);
      const r = await answer(argv, o);
      if (r instanceof Error) throw r;
      const result: ExecResult = { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
      call.code = result.code;
      // same shape as host/exec.ts
      if (!(o.okCodes ?? [0]).includes(result.code)) {
        const stderr = result.stderr.trim().slice(0, 2000);
        throw new HostCommandError('ERR_HOST_COMMAND', `${argv.join(' ')} exited ${result.code}: ${stderr}`,
          { details: { argv: [...argv], code: result.code, stderr } });
      }
      return result;
    },
    commands(filter) {
      return calls.filter((c) => filter === undefined || matches(filter, c.argv)).map((c) => c.argv.join(' '));
    },
    on(match, reply, o = {}) {
      scripted.push({ match, reply, left: o.times ?? Number.POSITIVE_INFINITY });
      return fake;
    },
    failOn(match, stderr, o = {}) {
      return fake.on(match, { code: o.code ?? 2, stderr }, o.times === undefined ? {} : { times: o.times });
    },
    addExecutable(path, reply = {}) {
      executables.set(path, reply);
      return fake;
    },
    links: ip.table,
    ovs: ovsEmu.ovs,
    clearCalls() { calls.length = 0; },
  };
  return fake;
}
