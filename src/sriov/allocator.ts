// Choosing a free VF for an endpoint that needs one (pure). VFs are spread across the PFs mapped to the
// network's physical network — the PF holding the fewest of our VFs wins, ties go to the PF listed first — and
// within a PF the lowest free index is taken. Excluded VFs, VFs already held, and VFs whose netdev is not in the
// host namespace (in use by something else) are never chosen.
export interface VfCandidate { pf: string; index: number; pci: string; netdev: string | undefined }

export interface PickInput {
  /** PFs in configuration order, each with its VFs */
  pfs: readonly { name: string; vfs: readonly VfCandidate[] }[];
  held: ReadonlySet<string>;
  excluded: ReadonlyMap<string, ReadonlySet<string>>;
}

export function usableVfs(input: PickInput, pf: { name: string; vfs: readonly VfCandidate[] }): VfCandidate[] {
  const excluded = input.excluded.get(pf.name);
  return pf.vfs
    .filter((vf) => !input.held.has(vf.pci) && !(excluded?.has(vf.pci) ?? false) && vf.netdev !== undefined)
    .sort((a, b) => a.index - b.index);
}

export function pickVf(input: PickInput): VfCandidate | undefined {
  let best: { vf: VfCandidate; load: number } | undefined;
  for (const pf of input.pfs) {
    const free = usableVfs(input, pf);
    const first = free[0];
    if (first === undefined) continue;
    const load = pf.vfs.filter((vf) => input.held.has(vf.pci)).length;
    if (best === undefined || load < best.load) best = { vf: first, load };
  }
  return best?.vf;
}
