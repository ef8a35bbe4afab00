import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from '../../helpers/paths';

/**
 * Checks that need ../shared must not vanish in CI: with the folder missing, a run under CI=true fails,
 * while a run elsewhere passes with a notice naming what did not run.
 */

function runFixture(ci: boolean): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TFSERVING_SHARED_TESTDATA: path.join(REPO, '.no-such-shared-testdata') };
  if (ci) env.CI = 'true';
  else delete env.CI;
  const r = spawnSync(
    process.execPath,
    [path.join(REPO, 'node_modules/jest/bin/jest.js'), '--ci', '--testMatch', '**/harness/fixtures/needs-shared.fixture.ts'],
    { cwd: REPO, env, encoding: 'utf8', timeout: 120000 },
  );
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test.each([
  // [CI=true?, jest's exit status, what the output says]
  [true, 1, 'these checks may not be skipped in CI'],
  [false, 0, 'NOTICE: '],
])('shared test data missing, CI=true %s: exit %d, output says %j', (ci, status, says) => {
  const r = runFixture(ci);
  expect({ status: r.status, says: r.output.includes(says) }).toEqual({ status, says: true });
});
