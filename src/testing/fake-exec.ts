// Test double for the Exec seam (scripted replies plus an in-memory `ip link` / `ovs-vsctl` host).
// Thin entry point kept for existing imports: the code lives in ./fake-exec/ (index: scripted-response
// core, ip-link / ovs: the emulations, types: public types). Test-only (excluded from the build).
export { argvIncludes, createFakeExec } from './fake-exec/index.ts';
export type {
  ArgvMatcher, FakeExec, FakeExecCall, FakeLink, FakeLinkTable, FakeOvs, FakeOvsPort, FakeReply, FakeReplyValue,
  FakeResponse, FakeSeedLink, FakeVf, FakeVfRefusal,
} from './fake-exec/types.ts';
