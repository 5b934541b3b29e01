/**
 * Runs a window's models, at most `limit` at once. A model waits for the models it `reads` (those of the list;
 * others are ignored) and starts, in list order, as a place frees up. Every model runs to its end even when another
 * fails, so that no request is left going after the window; then the first failure, in list order, is thrown.
 */
export async function runModels<M extends { readonly id: string; readonly reads?: readonly string[] }>(
  models: readonly M[],
  limit: number,
  run: (model: M) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`models run at once must be a whole number from 1, not ${limit}`);
  let running = 0;
  const queued: Array<() => void> = [];
  const place = async (): Promise<void> => {
    if (running < limit) {
      running++;
      return;
    }
    // The place is handed over by the model that leaves it: `running` does not change.
    await new Promise<void>((resolve) => queued.push(resolve));
  };
  const leave = (): void => {
    const next = queued.shift();
    if (next) next();
    else running--;
  };
  const done = new Map<string, Promise<void>>();
  for (const model of models) {
    const before = (model.reads ?? []).flatMap((id) => done.get(id) ?? []);
    done.set(
      model.id,
      (async () => {
        await Promise.all(before);
        await place();
        try {
          await run(model);
        } finally {
          leave();
        }
      })(),
    );
  }
  const results = await Promise.allSettled(done.values());
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
