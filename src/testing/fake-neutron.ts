// A stateful in-memory Neutron implementing NeutronClient, for unit tests (test-only, excluded from the
// build; test/integration/neutron-contract.test.ts keeps it honest against a real Neutron). Thin entry
// point kept for existing imports: the code lives in ./fake-neutron/ (index: the client; see each file).
export { createFakeNeutron } from './fake-neutron/index.ts';
export { defaultVifTypeFor, ZED_EXTENSIONS } from './fake-neutron/types.ts';
export type {
  FakeMethod, FakeNeutron, FakeNeutronCall, FakeNeutronOptions, FakeNeutronState, VifBinding, VifTypeFor,
} from './fake-neutron/types.ts';
