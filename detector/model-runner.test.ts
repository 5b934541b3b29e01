import { runModels } from './model-runner';

/** A model whose run waits until the test lets it end, and records when it started and ended. */
function harness(limit: number, models: Array<{ id: string; reads?: string[] }>) {
  const log: string[] = [];
  const release = new Map<string, () => void>();
  const started = new Set<string>();
  const finished = runModels(models, limit, async (model) => {
    log.push(`start ${model.id}`);
    started.add(model.id);
    await new Promise<void>((resolve) => release.set(model.id, resolve));
    log.push(`end ${model.id}`);
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const end = async (id: string) => {
    release.get(id)!();
    await settle();
  };
  return { log, started, finished, settle, end };
}

describe('runModels', () => {
  it('runs at most `limit` models at once, starting them in list order', async () => {
    const h = harness(2, [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }]);
    await h.settle();
    expect([...h.started]).toEqual(['a', 'b']);
    await h.end('b');
    expect([...h.started]).toEqual(['a', 'b', 'c']);
    await h.end('a');
    expect([...h.started]).toEqual(['a', 'b', 'c', 'd']);
    await h.end('c');
    await h.end('d');
    await h.finished;
    expect(h.log).toEqual(['start a', 'start b', 'end b', 'start c', 'end a', 'start d', 'end c', 'end d']);
  });

  it('one at a time is the list order', async () => {
    const h = harness(1, [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    for (const id of ['a', 'b', 'c']) {
      await h.settle();
      expect([...h.started].at(-1)).toBe(id);
      await h.end(id);
    }
    await h.finished;
    expect(h.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('starts a model that reads another one only after that one ended, and lets the others pass it', async () => {
    const h = harness(2, [{ id: 'new_connection' }, { id: 'ot', reads: ['new_connection', 'not_running'] }, { id: 'dns' }]);
    await h.settle();
    expect([...h.started]).toEqual(['new_connection', 'dns']);
    await h.end('dns');
    expect(h.started.has('ot')).toBe(false);
    await h.end('new_connection');
    expect(h.started.has('ot')).toBe(true);
    await h.end('ot');
    await h.finished;
  });

  it('lets every model end before it throws the first failure in list order', async () => {
    const ended: string[] = [];
    const failing = runModels([{ id: 'a' }, { id: 'b' }, { id: 'c' }], 3, async (model) => {
      await new Promise((resolve) => setTimeout(resolve, model.id === 'a' ? 20 : 1));
      ended.push(model.id);
      if (model.id !== 'c') throw new Error(`${model.id} failed`);
    });
    await expect(failing).rejects.toThrow('a failed');
    expect(ended.sort()).toEqual(['a', 'b', 'c']);
  });

  it('does not run a model whose predecessor failed, and reports that failure', async () => {
    const ran: string[] = [];
    const failing = runModels([{ id: 'new_connection' }, { id: 'ot', reads: ['new_connection'] }], 2, async (model) => {
      ran.push(model.id);
      if (model.id === 'new_connection') throw new Error('search refused');
    });
    await expect(failing).rejects.toThrow('search refused');
    expect(ran).toEqual(['new_connection']);
  });

  it('refuses a limit below one', async () => {
    await expect(runModels([{ id: 'a' }], 0, async () => undefined)).rejects.toThrow(/whole number from 1, not 0/);
  });
});
