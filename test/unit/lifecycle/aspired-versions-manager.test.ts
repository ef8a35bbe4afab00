import { AspiredVersionsManager } from '../../../src/lifecycle/aspired-versions-manager';
import { ServableManager } from '../../../src/lifecycle/manager';
import { VersionState } from '../../../src/lifecycle/servable-state';

/**
 * AspiredVersionsManager (src/lifecycle/aspired-versions-manager.ts): the source's aspired versions in,
 * loads and unloads out, in the style of TF Serving's aspired_versions_manager_test: each case starts
 * from versions already serving, feeds aspired sets, and checks what was loaded and unloaded, in order,
 * and what serves at the end.
 */

class FakeServable {
  constructor(
    readonly version: number,
    private readonly log: string[],
  ) {}
  async unload(): Promise<void> {
    this.log.push(`unload ${this.version}`);
  }
}

/** An aspired set: version numbers, each optionally with the fingerprint of its folder's content. */
type Aspired = Array<number | [number, string]>;

interface Case {
  name: string;
  /** Versions aspired (and loaded) before the step under test. */
  serving: number[];
  /** Aspired sets fed one after another, each once the previous one has settled. */
  steps: Aspired[];
  /** How many tries of each version's load fail: Infinity = always. */
  failures?: Record<number, number>;
  maxLoadRetries?: number;
  /** Loads and unloads after `serving` was set up, in order. */
  expectLog: string[];
  expectServing: number[];
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

async function run(c: Case): Promise<{ log: string[]; serving: number[]; failed: number[] }> {
  const log: string[] = [];
  const tries = new Map<number, number>();
  const servables = new ServableManager<FakeServable>();
  const manager = new AspiredVersionsManager<FakeServable>(
    servables,
    async ({ version }) => {
      const n = (tries.get(version) ?? 0) + 1;
      tries.set(version, n);
      if (n <= (c.failures?.[version] ?? 0)) {
        log.push(`fail ${version}`);
        throw new Error(`version ${version} is broken`);
      }
      log.push(`load ${version}`);
      return new FakeServable(version, log);
    },
    { maxLoadRetries: c.maxLoadRetries ?? 0, loadRetryIntervalMs: 0, loadConcurrency: 1 },
  );
  const feed = (aspired: Aspired) =>
    manager.setAspired(
      'm',
      aspired.map((a) => {
        const [version, fingerprint] = Array.isArray(a) ? a : [a, 'same'];
        return { version, dir: `/models/m/${version}`, fingerprint };
      }),
    );
  if (c.serving.length > 0) {
    feed(c.serving);
    await manager.waitUntilSettled(['m']);
  }
  await settle();
  log.length = 0;
  for (const step of c.steps) {
    feed(step);
    await settle();
  }
  const failed = (servables.statuses('m') ?? []).filter((s) => s.state === VersionState.END && s.error).map((s) => s.version);
  return { log, serving: servables.availableVersions('m'), failed };
}

const cases: Case[] = [
  { name: 'first version', serving: [], steps: [[1]], expectLog: ['load 1'], expectServing: [1] },
  { name: 'a new version replaces the old one: load first, then unload', serving: [1], steps: [[2]], expectLog: ['load 2', 'unload 1'], expectServing: [2] },
  { name: 'several aspired versions load highest first', serving: [], steps: [[1, 2, 3]], expectLog: ['load 3', 'load 2', 'load 1'], expectServing: [3, 2, 1] },
  { name: 'a broken new version leaves the old one serving', serving: [1], steps: [[2]], failures: { 2: Infinity }, expectLog: ['fail 2'], expectServing: [1] },
  {
    name: 'a load is retried --max_num_load_retries times',
    serving: [],
    steps: [[1]],
    failures: { 1: 2 },
    maxLoadRetries: 2,
    expectLog: ['fail 1', 'fail 1', 'load 1'],
    expectServing: [1],
  },
  { name: 'retries run out: the version fails', serving: [], steps: [[1]], failures: { 1: Infinity }, maxLoadRetries: 1, expectLog: ['fail 1', 'fail 1'], expectServing: [] },
  { name: 'nothing aspired any more: everything unloads', serving: [1, 2], steps: [[]], expectLog: ['unload 2', 'unload 1'], expectServing: [] },
  { name: 'rollback: the removed newest version unloads, the older one keeps serving', serving: [1, 2], steps: [[1]], expectLog: ['unload 2'], expectServing: [1] },
  { name: 'an unchanged aspired set does nothing', serving: [1], steps: [[1], [1]], expectLog: [], expectServing: [1] },
  {
    name: 'a failed version is not retried while its folder is unchanged',
    serving: [],
    steps: [[[1, 'a']], [[1, 'a']]],
    failures: { 1: Infinity },
    expectLog: ['fail 1'],
    expectServing: [],
  },
  {
    name: 'a failed version is tried again once its folder changes',
    serving: [],
    steps: [[[1, 'a']], [[1, 'b']]],
    failures: { 1: 1 },
    expectLog: ['fail 1', 'load 1'],
    expectServing: [1],
  },
  { name: 'a version unloaded earlier loads afresh when aspired again', serving: [1], steps: [[2], [1]], expectLog: ['load 2', 'unload 1', 'load 1', 'unload 2'], expectServing: [1] },
];

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
  const r = await run(c);
  expect({ log: r.log, serving: r.serving }).toEqual({ log: c.expectLog, serving: c.expectServing });
});

test('waitUntilSettled reports, in TF Serving words, the failures of a model left with nothing serving', async () => {
  const servables = new ServableManager<FakeServable>();
  const manager = new AspiredVersionsManager<FakeServable>(
    servables,
    async () => {
      throw new Error('Read less bytes than requested');
    },
    { maxLoadRetries: 0, loadRetryIntervalMs: 0, loadConcurrency: 1 },
  );
  manager.setAspired('m', [{ version: 3, dir: '/m/3', fingerprint: 'x' }]);
  expect(await manager.waitUntilSettled(['m'])).toEqual(['{name: m version: 3} due to error: Read less bytes than requested']);
});

test('the models a server starts with load side by side (4 x cores in TF Serving); after start-up, --num_load_threads bounds loads', async () => {
  const servables = new ServableManager<FakeServable>();
  let running = 0;
  let most = 0;
  const gates: Array<() => void> = [];
  const manager = new AspiredVersionsManager<FakeServable>(
    servables,
    async ({ version }) => {
      most = Math.max(most, ++running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      return new FakeServable(version, []);
    },
    { maxLoadRetries: 0, loadRetryIntervalMs: 0, loadConcurrency: 0, initialLoadConcurrency: 8 },
  );
  const models = Array.from({ length: 12 }, (_, i) => `m${i}`);
  for (const m of models) manager.setAspired(m, [{ version: 1, dir: `/${m}/1`, fingerprint: 'x' }]);
  const settled = manager.waitUntilSettled(models);
  const drain = async (want: number) => {
    while (gates.length < want) await settle();
  };
  await drain(8);
  expect(running).toBe(8); // 8 at once, the other 4 wait
  gates.splice(0).forEach((open) => open());
  await drain(4);
  gates.splice(0).forEach((open) => open());
  expect(await settled).toEqual([]);
  expect(most).toBe(8);

  // After start-up: one load at a time (--num_load_threads=0), as TF Serving's manager thread.
  manager.endInitialLoad();
  most = 0;
  const later = ['n0', 'n1', 'n2'];
  for (const m of later) manager.setAspired(m, [{ version: 1, dir: `/${m}/1`, fingerprint: 'x' }]);
  const laterSettled = manager.waitUntilSettled(later);
  for (let i = 0; i < 3; i++) {
    await drain(1);
    expect(running).toBe(1);
    gates.shift()!();
  }
  expect(await laterSettled).toEqual([]);
  expect(most).toBe(1);
});
