import { SHARED_TESTDATA, hasSharedTestdata } from './paths';

/** CI sets CI=true; there the shared test data and the tools CI installs are part of the contract, not optional. */
const inCi = (): boolean => process.env.CI === 'true';

/** Something a test needs is missing: a notice outside CI, a failure in CI (where checks may not vanish). */
export function noticeUnlessCi(message: string): void {
  if (inCi()) throw new Error(`${message}, and CI=true: this check may not be skipped in CI`);
  console.warn(`NOTICE: ${message}`);
}

/**
 * A describe block that needs TF Serving's shared test data. When the folder is missing, CI fails
 * (the checks must not vanish silently there); elsewhere one test prints a notice saying what did not run.
 */
export function describeWithSharedTestdata(name: string, body: () => void): void {
  if (hasSharedTestdata()) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    if (inCi()) {
      test('needs the shared test data, which CI must provide', () => {
        throw new Error(`${SHARED_TESTDATA} not found, and CI=true: these checks may not be skipped in CI`);
      });
    } else {
      test('is absent here: these checks need ../shared/testdata/tf_serving', () => {
        console.warn(`NOTICE: ${SHARED_TESTDATA} not found; "${name}" did not run`);
      });
    }
  });
}
