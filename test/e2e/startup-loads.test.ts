import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODELS_DIR, ensureTestModels } from '../helpers/fixtures';
import { startServer } from '../helpers/server-process';
import { writeModelConfig } from '../helpers/model-config';

/**
 * The models a server starts with load side by side, as TF Serving's 4 x cores initial load threads do
 * (--num_initial_load_threads, ours), not one after another; --num_initial_load_threads=1 restores one
 * at a time. Read from the server's own log: how many loads were in progress at once.
 */

let tmp: string;
beforeAll(() => {
  ensureTestModels();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-startup-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The most "Loading servable version" lines logged before their "Successfully loaded" ones. */
function mostAtOnce(log: string): number {
  let now = 0;
  let most = 0;
  for (const line of log.split('\n')) {
    if (/\] Loading servable version \{name: m\d+ /.test(line)) most = Math.max(most, ++now);
    if (/\] Successfully loaded servable version \{name: m\d+ /.test(line)) now--;
  }
  return most;
}

async function startWith(extra: string[]): Promise<number> {
  const config = path.join(tmp, 'models.config');
  writeModelConfig(config, Array.from({ length: 10 }, (_, i) => [`m${i}`, path.join(MODELS_DIR, 'add_sub')] as const));
  const server = await startServer([`--model_config_file=${config}`, ...extra]);
  try {
    expect(server.logs().match(/Successfully loaded servable version \{name: m\d+ version: 2\}/g)).toHaveLength(10);
    return mostAtOnce(server.logs());
  } finally {
    await server.stop();
  }
}

test('ten models at start-up load side by side by default', async () => {
  expect(await startWith([])).toBeGreaterThan(1);
});

test('--num_initial_load_threads=1 loads them one at a time', async () => {
  expect(await startWith(['--num_initial_load_threads=1'])).toBe(1);
});
