import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const PYTHON = path.join(REPO, '.venv/bin/python');
export const SERVER_MAIN = path.join(REPO, 'dist/cli/main.js');
/**
 * TF Serving's own test data, beside the repository when present (never copied into it).
 * TFSERVING_SHARED_TESTDATA points elsewhere; the helper's own test uses it to simulate a missing folder.
 */
export const SHARED_TESTDATA = process.env.TFSERVING_SHARED_TESTDATA
  ? path.resolve(process.env.TFSERVING_SHARED_TESTDATA)
  : path.resolve(REPO, '../shared/testdata/tf_serving');
export const hasSharedTestdata = (): boolean => fs.existsSync(SHARED_TESTDATA);
