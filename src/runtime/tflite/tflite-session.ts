import { ServingError, invalidArgument } from '../../errors/serving-error';
import { Code } from '../../errors/status-code';
import { DataType, tfTypeName } from '../../tensor/dtype';
import { Tensor, isStringTensor, numElements, numericTensor } from '../../tensor/tensor';
import { InterpreterPool } from './interpreter-pool';
import { concatRows, partSizes, rowsPerPart, sliceRows } from './row-split';
import { packStrings, unpackStrings } from './string-layout';
import { LoadedTfLiteModel, TfLiteBinding, TfLiteOutput, TfLiteTensorDesc, tfliteBinding } from './tflite-binding';
import { tfTypeOf } from './tflite-types';

/**
 * One TFLite model served like a TensorFlow session (TF Serving's TfLiteSession): graph tensors are
 * fed and fetched by name, a pool of interpreters runs requests side by side, and with
 * --num_tflite_interpreters_per_pool > 1 a large request is split across interpreters.
 */

export interface TfLiteSessionOptions {
  /** --num_tflite_pools: interpreters built for the model (at least 1). */
  readonly numPools: number;
  /** --num_tflite_interpreters_per_pool: above 1, requests are split into parts run in parallel. */
  readonly interpretersPerPool: number;
}

/** name → position among the model's inputs or outputs, with TF Serving's checks. */
function tensorIndex(descs: readonly TfLiteTensorDesc[], kind: 'Input' | 'Output'): Map<string, number> {
  const index = new Map<string, number>();
  descs.forEach((d, i) => {
    if (d.name === '') throw new ServingError(Code.INTERNAL, `${kind} name missing for tensor index: ${i}`);
    if (index.has(d.name)) throw new ServingError(Code.ALREADY_EXISTS, `${kind} tensor name: ${d.name} has multiple indices`);
    index.set(d.name, i);
  });
  return index;
}

/** TF names end in ':0'; early TFLite converters dropped that suffix. */
export const legacyTfLiteName = (tfName: string): string => tfName.split(':', 1)[0];

/** TF Serving's FixTfLiteTensorName: the name itself, else its legacy form, else an error. */
export function fixTfLiteTensorName(index: ReadonlyMap<string, number>, name: string): string {
  if (index.has(name)) return name;
  const legacy = legacyTfLiteName(name);
  if (index.has(legacy)) return legacy;
  throw new ServingError(Code.INTERNAL, `Unknown tensor '${name}'.`);
}

function bindingError(err: unknown): ServingError {
  if (err instanceof ServingError) return err;
  const e = err as Error & { code?: unknown };
  const code = typeof e.code === 'number' ? (e.code as Code) : Code.INTERNAL;
  return new ServingError(code, e.message ?? String(err));
}

export class TfLiteSession {
  readonly inputIndex: ReadonlyMap<string, number>;
  readonly outputIndex: ReadonlyMap<string, number>;
  private readonly pool: InterpreterPool;
  private readonly perPart: number;
  private closed = false;

  private constructor(
    private readonly binding: TfLiteBinding,
    private readonly model: LoadedTfLiteModel,
    private readonly opts: TfLiteSessionOptions,
  ) {
    this.inputIndex = tensorIndex(model.inputs, 'Input');
    this.outputIndex = tensorIndex(model.outputs, 'Output');
    this.pool = new InterpreterPool(Math.max(1, opts.numPools));
    // Only a model with one input has a batch size of its own (GetModelBatchSize).
    const modelBatch = model.inputs.length === 1 ? (model.inputs[0].dims[0] ?? -1) : -1;
    this.perPart = rowsPerPart(modelBatch, opts.interpretersPerPool);
  }

  static async create(bytes: Uint8Array, opts: TfLiteSessionOptions): Promise<TfLiteSession> {
    const binding = tfliteBinding();
    let model: LoadedTfLiteModel;
    try {
      model = await binding.loadModel(bytes, Math.max(1, opts.numPools));
    } catch (err) {
      throw bindingError(err);
    }
    try {
      return new TfLiteSession(binding, model, opts);
    } catch (err) {
      binding.deleteModel(model.handle);
      throw err;
    }
  }

  get inputs(): readonly TfLiteTensorDesc[] {
    return this.model.inputs;
  }

  get outputs(): readonly TfLiteTensorDesc[] {
    return this.model.outputs;
  }

  /** Feeds graph tensors by name and returns `fetchNames` in order. */
  async run(feedNames: readonly string[], feeds: readonly Tensor[], fetchNames: readonly string[]): Promise<Tensor[]> {
    if (this.closed) throw new Error('TFLite session was closed');
    const inputPositions = feedNames.map((name) => this.position(this.inputIndex, name, 'input'));
    const outputPositions = fetchNames.map((name) => this.position(this.outputIndex, name, 'output'));
    feeds.forEach((t, i) => {
      const want = tfTypeOf(this.model.inputs[inputPositions[i]].type);
      if (t.dtype !== want) throw invalidArgument(`Expects arg[${i}] to be ${tfTypeName(want)} but ${tfTypeName(t.dtype)} is provided`);
    });
    const rows = feeds.length > 0 && feeds.every((t) => t.shape.length > 0 && t.shape[0] === feeds[0].shape[0]) ? feeds[0].shape[0] : 0;
    if (this.opts.interpretersPerPool <= 1 || rows <= this.perPart) {
      return this.runOnce(inputPositions, feeds, outputPositions);
    }
    let begin = 0;
    const parts = partSizes(rows, this.perPart).map((count) => {
      const slice = feeds.map((t) => sliceRows(t, begin, count));
      begin += count;
      return this.runOnce(inputPositions, slice, outputPositions);
    });
    const results = await Promise.all(parts);
    return outputPositions.map((_, k) => concatRows(results.map((r) => r[k])));
  }

  /** Frees the model and its interpreters (at the latest when a run still using them ends). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.binding.deleteModel(this.model.handle);
  }

  private position(index: ReadonlyMap<string, number>, name: string, kind: 'input' | 'output'): number {
    try {
      return index.get(fixTfLiteTensorName(index, name)) as number;
    } catch (err) {
      const e = err as ServingError;
      // TF Serving appends context to input errors and prefixes output ones.
      throw new ServingError(
        e.code,
        kind === 'input' ? `${e.message}\n\tMissing input TFLite tensor: ${name}` : `Missing output TFLite tensor: ${name}: ${e.message}`,
      );
    }
  }

  private runOnce(inputPositions: number[], feeds: readonly Tensor[], outputPositions: number[]): Promise<Tensor[]> {
    const inputs = feeds.map((t) => ({ dims: t.shape, data: isStringTensor(t) ? packStrings(t.strings) : t.bytes }));
    return this.pool.with(async (interpreter) => {
      let outs: TfLiteOutput[];
      try {
        outs = await this.binding.run(this.model.handle, interpreter, inputPositions, inputs, outputPositions);
      } catch (err) {
        throw bindingError(err);
      }
      return outs.map(toTensor);
    });
  }
}

function toTensor(o: TfLiteOutput): Tensor {
  const dtype = tfTypeOf(o.type);
  if (dtype === DataType.DT_STRING) {
    const strings = unpackStrings(o.data);
    if (strings.length !== numElements(o.dims)) throw new ServingError(Code.INTERNAL, 'TFLite string output does not match its shape');
    return { dtype, shape: o.dims, strings };
  }
  if (dtype === DataType.DT_INVALID) throw new ServingError(Code.INTERNAL, 'TFLite output has no type');
  return numericTensor(dtype, o.dims, o.data);
}
