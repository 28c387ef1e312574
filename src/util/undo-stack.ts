// Rollback ladder: each completed step pushes its undo; on failure the undos run in reverse order. An undo
// that fails is logged and attached to the original error's details; it never replaces the original error.

export interface UndoStack {
  push(label: string, undo: () => Promise<unknown>): void;
  /** run every undo in reverse order; returns the failures */
  unwind(): Promise<{ label: string; error: unknown }[]>;
}

export function createUndoStack(): UndoStack {
  const steps: { label: string; undo: () => Promise<unknown> }[] = [];
  return {
    push(label, undo) { steps.push({ label, undo }); },
    async unwind() {
      const failures: { label: string; error: unknown }[] = [];
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        try { await step.undo(); } catch (error) { failures.push({ label: step.label, error }); }
      }
      return failures;
    },
  };
}

/**
 * Run `fn` with a fresh undo stack; on error unwind it and rethrow the original error, with the labels of
 * undos that failed recorded on it.
 */
export async function withRollback<T>(
  fn: (undo: UndoStack) => Promise<T>,
  onUndoFailure?: (label: string, error: unknown) => void,
): Promise<T> {
  const undo = createUndoStack();
  try {
    return await fn(undo);
  } catch (err) {
    const failures = await undo.unwind();
    for (const f of failures) onUndoFailure?.(f.label, f.error);
    if (failures.length > 0 && err instanceof Error) {
      (err as Error & { rollbackFailures?: string[] }).rollbackFailures = failures.map((f) => f.label);
    }
    throw err;
  }
}
