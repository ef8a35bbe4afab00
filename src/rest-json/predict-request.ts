import { ServingError, invalidArgument } from '../errors/serving-error';
import { Tensor, numElements } from '../tensor/tensor';
import { jsonValueToString } from './json-debug-string';
import { JsonParseOptions, parseNumericBody } from './json-parse';
import { JsonArray, JsonObject, JsonValue, arrayItem, findMember, isBase64Object } from './json-value';
import { formatError, parseRequestDocument } from './request-document';
import { TensorValues } from './tensor-values';

/** Which of TF Serving's two request layouts was used; the response must use the matching one. */
export type JsonPredictFormat = 'row' | 'columnar';

/** What the codec needs to know of a signature input: its dtype (DataType number). */
export interface InputSpec {
  readonly dtype: number;
}

/**
 * Looks up the inputs of the named signature ('' = the default one), as TF Serving's
 * GetInfoMap does; it may throw (servable not found, signature not found...).
 */
export type InputSpecLookup = (signatureName: string) => ReadonlyMap<string, InputSpec>;

export interface JsonPredictRequest {
  /** `signature_name` as sent, '' when absent. */
  readonly signatureName: string;
  readonly format: JsonPredictFormat;
  /** Input alias -> tensor. Row format fills every alias; columnar only those the signature has. */
  readonly inputs: Map<string, Tensor>;
}

/**
 * FillPredictRequestFromJson (util/json_tensor.cc): a Predict body, `{"instances": [...]}` (row
 * format) or `{"inputs": ...}` (columnar), to input tensors, with TF Serving's checks in its order
 * and its error texts. Errors are ServingErrors, INVALID_ARGUMENT unless a dtype has no JSON form
 * (UNIMPLEMENTED, columnar only: in row format that error is wrapped in an INVALID_ARGUMENT).
 */
export function parsePredictRequest(
  body: Uint8Array | string,
  lookupInputs: InputSpecLookup,
  options?: JsonParseOptions,
): JsonPredictRequest {
  const fast = typeof body === 'string' ? {} : numericPredictRequest(body, lookupInputs, options);
  if (fast.request) return fast.request;
  const { root, signatureName } = parseRequestDocument(body, options);
  // A body the fast path parsed has no signature_name: the signature it looked up is this one.
  const specs = fast.specs ?? lookupInputs(signatureName);
  if (specs.size === 0) {
    throw invalidArgument(`Failed to get input map for signature: ${signatureName === '' ? 'DEFAULT' : signatureName}`);
  }
  const instances = findMember(root, 'instances');
  const inputs = findMember(root, 'inputs');
  if (instances !== undefined) {
    if (inputs !== undefined) {
      throw formatError(root, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
    }
    if (instances.type !== 'array') throw formatError(root, "Expecting 'instances' to be an list/array");
    if (instances.items.length === 0) throw formatError(root, "No values in 'instances' array");
    return { signatureName, format: 'row', inputs: tensorsFromInstances(instances, specs) };
  }
  if (inputs !== undefined) {
    return { signatureName, format: 'columnar', inputs: tensorsFromInputs(inputs, specs) };
  }
  throw invalidArgument("Missing 'inputs' or 'instances' key");
}

/** Thrown by the fast path's tensor to give the body to the general path (which words every error). */
const GENERAL_PATH = new Error('general path');

/**
 * A body holding nothing but one numeric array, for a signature with one input: scanned with no JSON tree
 * (see parseNumericBody), then the signature is looked up (where the general path looks it up: after a
 * successful parse, and with the same '' signature name) and the numbers become its tensor. The result is
 * the general path's for the same body; a body the fast path does not take goes there, as does one whose
 * numbers the dtype refuses (so that the error has the general path's wording).
 */
function numericPredictRequest(
  body: Uint8Array,
  lookupInputs: InputSpecLookup,
  options: JsonParseOptions | undefined,
): { request?: JsonPredictRequest; specs?: ReadonlyMap<string, InputSpec> } {
  const parsed = parseNumericBody(body, options ?? {});
  if (!parsed) return {};
  const specs = lookupInputs('');
  if (specs.size !== 1) return { specs };
  const [name, spec] = specs.entries().next().value as [string, InputSpec];
  const { numbers } = parsed;
  const values = new TensorValues(spec.dtype, numbers.count);
  const refuse = (): JsonValue => {
    throw GENERAL_PATH;
  };
  try {
    for (let i = 0; i < numbers.count; i++) values.addNumber(numbers.values[i], numbers.flags[i], refuse);
  } catch (err) {
    if (err === GENERAL_PATH) return { specs };
    throw err;
  }
  const request: JsonPredictRequest = {
    signatureName: '',
    format: parsed.key === 'instances' ? 'row' : 'columnar',
    inputs: new Map([[name, values.toTensor(parsed.shape)]]),
  };
  return { request, specs };
}

/** absl::Status::ToString() of a nested error, as TF Serving embeds it: `INVALID_ARGUMENT: ...`. */
const statusString = (err: unknown): string => (err instanceof ServingError ? err.toString() : String(err));

/** Per-alias state while the instances are read (TF Serving's tensor/size/shape maps). */
interface Batch {
  readonly values: TensorValues;
  /** Element count and shape of the first instance; later ones must match. */
  size: number;
  shape: number[];
}

/** FillTensorMapFromInstancesList. */
function tensorsFromInstances(instances: JsonArray, specs: ReadonlyMap<string, InputSpec>): Map<string, Tensor> {
  const first = arrayItem(instances, 0);
  if (first.type !== 'object' && specs.size > 1) {
    throw invalidArgument(
      'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
    );
  }
  const isElementObject = (v: JsonValue): v is JsonObject => v.type === 'object' && !isBase64Object(v);
  const elementsAreObjects = isElementObject(first);
  const inputNames = [...specs.keys()].sort();
  const batches = new Map<string, Batch>();
  const count = instances.items.length;

  const addItem = (item: JsonValue, name: string): void => {
    const spec = specs.get(name);
    if (spec === undefined) throw invalidArgument(`JSON object: does not have named input: ${name}`);
    const shape = denseShape(item);
    let batch = batches.get(name);
    if (batch === undefined) {
      batch = { values: new TensorValues(spec.dtype, numElements(shape) * count), size: -1, shape };
      batches.set(name, batch);
    }
    const before = batch.values.count;
    fillTensor(item, 0, shape, batch.values);
    const size = batch.values.count - before;
    if (batch.size < 0) {
      batch.size = size;
      batch.shape = shape;
    } else if (batch.size !== size) {
      throw invalidArgument(`Expecting tensor size: ${batch.size} but got: ${size}`);
    } else if (!sameShape(batch.shape, shape)) {
      throw invalidArgument(`Expecting shape ${shapeText(batch.shape)} but got: ${shapeText(shape)}`);
    }
  };

  for (let i = 0; i < count; i++) {
    const elem = arrayItem(instances, i);
    if (elementsAreObjects) {
      if (!isElementObject(elem)) throw invalidArgument(`Expecting object but got list at item ${i} of input list`);
      const keys = new Set<string>();
      for (const m of elem.members) {
        const name = m.name.text;
        keys.add(name);
        try {
          addItem(m.value, name);
        } catch (err) {
          throw invalidArgument(`Failed to process element: ${i} key: ${name} of 'instances' list. Error: ${statusString(err)}`);
        }
      }
      if (keys.size !== inputNames.length || inputNames.some((n) => !keys.has(n))) {
        throw invalidArgument(
          `Failed to process element: ${i} of 'instances' list. JSON object: ${jsonValueToString(elem)} keys must be equal to: ${inputNames.join(',')}`,
        );
      }
    } else {
      if (isElementObject(elem)) throw invalidArgument(`Expecting value/list but got object at item ${i} of input list`);
      // With one input this is that input; TF Serving takes the map's first entry either way.
      const name = specs.keys().next().value as string;
      try {
        addItem(elem, name);
      } catch (err) {
        throw invalidArgument(`Failed to process element: ${i} of 'instances' list. Error: ${statusString(err)}`);
      }
    }
  }

  const tensors = new Map<string, Tensor>();
  for (const [name, batch] of batches) tensors.set(name, batch.values.toTensor([count, ...batch.shape]));
  return tensors;
}

/** FillTensorMapFromInputsMap. */
function tensorsFromInputs(value: JsonValue, specs: ReadonlyMap<string, InputSpec>): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  if (value.type !== 'object' || isBase64Object(value)) {
    if (specs.size > 1) {
      throw invalidArgument(
        'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
      );
    }
    const [name, spec] = specs.entries().next().value as [string, InputSpec];
    tensors.set(name, columnTensor(value, spec));
    return tensors;
  }
  for (const [name, spec] of specs) {
    const item = findMember(value, name);
    if (item === undefined) throw invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
    tensors.set(name, columnTensor(item, spec));
  }
  return tensors;
}

function columnTensor(value: JsonValue, spec: InputSpec): Tensor {
  const shape = denseShape(value);
  const values = new TensorValues(spec.dtype, numElements(shape));
  fillTensor(value, 0, shape, values);
  return values.toTensor(shape);
}

/** GetDenseTensorShape: the sizes along the first element of each nesting level. */
function denseShape(v: JsonValue): number[] {
  const shape: number[] = [];
  let cur: JsonValue = v;
  while (cur.type === 'array') {
    const n = cur.items.length;
    shape.push(n);
    if (n === 0) break;
    cur = arrayItem(cur, 0);
  }
  return shape;
}

/** FillTensorProto: checks the nesting against `shape` level by level and collects the leaves. */
function fillTensor(v: JsonValue, level: number, shape: readonly number[], out: TensorValues): void {
  const rank = shape.length;
  if (v.type !== 'array') {
    if (level !== rank) throw misplacedLeaf(v, level, rank);
    out.addValue(v);
    return;
  }
  if (level >= rank) throw invalidArgument(`Encountered list at unexpected level: ${level} expected < ${rank}`);
  const items = v.items;
  if (items.length !== shape[level]) {
    throw invalidArgument(`Encountered list at unexpected size: ${items.length} at level: ${level} expected size: ${shape[level]}`);
  }
  const store = v.numbers;
  const leafLevel = level + 1 === rank;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (typeof it === 'number') {
      // A number from the store: the hot path of large tensors.
      if (!leafLevel) throw misplacedLeaf(store.number(it), level + 1, rank);
      out.addNumber(store.values[it], store.flags[it], () => store.number(it));
    } else {
      fillTensor(it, level + 1, shape, out);
    }
  }
}

const misplacedLeaf = (v: JsonValue, level: number, rank: number): ServingError =>
  invalidArgument(`JSON Value: ${jsonValueToString(v)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`);

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** ShapeToString: `[2,3]`. */
const shapeText = (shape: readonly number[]): string => `[${shape.join(',')}]`;
