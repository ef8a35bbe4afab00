import { ServableManager } from '../../../src/lifecycle/manager';
import { RunContext, Servable, Signature } from '../../../src/lifecycle/servable';
import { RestApiHandlers } from '../../../src/rest/rest-handlers';
import { DataType } from '../../../src/tensor/dtype';
import { Tensor } from '../../../src/tensor/tensor';

/**
 * REST predict takes one handle on one version for the whole request, as gRPC does: the version whose
 * signature typed the JSON values is the version that runs them.
 */

/** y = x, on a float input; `runs` records which version ran. */
function identityServable(version: number, runs: number[]): Servable {
  const signature: Signature = {
    key: 'serving_default',
    methodName: 'tensorflow/serving/predict',
    inputs: new Map([['x', { name: 'x:0', dtype: DataType.DT_FLOAT }]]),
    outputs: new Map([['y', { name: 'y:0', dtype: DataType.DT_FLOAT }]]),
    defaults: new Set(),
  };
  return {
    signatures: new Map([['serving_default', signature]]),
    rawSignatureDefEntries: [],
    run: async (_feedNames: string[], feeds: Tensor[], _fetch: string[], _ctx?: RunContext) => {
      runs.push(version);
      return [feeds[0]];
    },
    unload: async () => undefined,
  };
}

test('a REST predict acquires the servable once and runs on the version it read the signature of', async () => {
  const manager = new ServableManager<Servable>();
  const runs: number[] = [];
  await manager.load('m', 1, async () => identityServable(1, runs));
  const acquire = jest.spyOn(manager, 'acquire');
  const handlers = new RestApiHandlers(manager, { checkMethodName: false }, () => ['m']);

  const answer = await handlers.handle(
    { kind: 'infer', verb: 'predict', model: 'm' },
    Buffer.from('{"instances": [1.5, 2]}'),
    {},
    { int64AsStrings: false },
  );

  expect({ acquires: acquire.mock.calls.length, runs, body: JSON.parse(answer.body.toString()) }).toEqual({
    acquires: 1,
    runs: [1],
    body: { predictions: [1.5, 2.0] },
  });
});

test('a REST predict whose body does not parse never takes a handle', async () => {
  const manager = new ServableManager<Servable>();
  await manager.load('m', 1, async () => identityServable(1, []));
  const acquire = jest.spyOn(manager, 'acquire');
  const handlers = new RestApiHandlers(manager, { checkMethodName: false }, () => ['m']);
  await expect(
    handlers.handle({ kind: 'infer', verb: 'predict', model: 'm' }, Buffer.from('{"instances": '), {}, { int64AsStrings: false }),
  ).rejects.toMatchObject({ message: 'JSON Parse error: Invalid value. at offset: 14' });
  expect(acquire.mock.calls.length).toBe(0);
});

