import Long from 'long';
import { ServingError, invalidArgument } from '../errors/serving-error';
import { protoType } from '../proto/root';
import { JsonParseOptions } from './json-parse';
import { JsonObject, JsonValue, NumFlag, arrayItem, findMember, isBase64Object, jsonTypeName } from './json-value';
import { formatError, parseRequestDocument } from './request-document';
import { decodeBase64Object } from './tensor-values';

/** A Classify or Regress body, with each tensorflow.Example already serialized. */
export interface JsonExamplesRequest {
  /** `signature_name` as sent, '' when absent. */
  readonly signatureName: string;
  /** The `context` Example (its presence makes the input an ExampleListWithContext). */
  readonly context?: Uint8Array;
  readonly examples: Uint8Array[];
}

/**
 * FillClassificationRequestFromJson / FillRegressionRequestFromJson (util/json_tensor.cc):
 * `{"signature_name"?, "context"?: {...}, "examples": [{...}, ...]}` to serialized
 * tensorflow.Example messages. Each feature maps to one Feature list by the JSON type of its
 * values: integers -> int64_list, numbers with a fraction or exponent (and NaN/Infinity) ->
 * float_list, strings and `{"b64": ...}` -> bytes_list, true/false -> int64 1/0. A feature is a
 * value or a list of values of one kind. The error texts are TF Serving's (which says "classify"
 * for both methods).
 */
export function parseExamplesRequest(body: Uint8Array | string, options?: JsonParseOptions): JsonExamplesRequest {
  const { root, signatureName } = parseRequestDocument(body, options);
  const contextValue = findMember(root, 'context');
  const context = contextValue === undefined ? undefined : encodeExample(contextValue);
  const examplesValue = findMember(root, 'examples');
  if (examplesValue === undefined) {
    throw formatError(root, "When method is classify, key 'examples' is expected and was not found");
  }
  if (examplesValue.type !== 'array') throw formatError(root, "Expecting 'examples' value to be an list/array");
  if (examplesValue.items.length === 0) throw formatError(root, "'examples' value is an empty array");
  const examples: Uint8Array[] = [];
  for (let i = 0; i < examplesValue.items.length; i++) examples.push(encodeExample(arrayItem(examplesValue, i)));
  return { signatureName, context, examples };
}

type FeatureKind = 'bytes_list' | 'float_list' | 'int64_list';
const KIND_NAME: Record<FeatureKind, string> = { bytes_list: 'bytes', float_list: 'float', int64_list: 'int64' };

/** A tensorflow.Feature being built: no kind until the first value. */
interface FeatureBuilder {
  kind?: FeatureKind;
  values: Array<Uint8Array | number | Long>;
}

/** MakeExampleFromJsonObject, then serialization. */
function encodeExample(v: JsonValue): Uint8Array {
  if (v.type !== 'object') throw invalidArgument(`Example must be JSON object but got JSON ${jsonTypeName(v)}`);
  // A repeated feature name replaces the earlier one, as `(*map)[name] = feature` does.
  const features: Record<string, object> = Object.create(null) as Record<string, object>;
  for (const m of (v as JsonObject).members) {
    const name = m.name.text;
    const feature: FeatureBuilder = { values: [] };
    const content = m.value;
    if (content.type === 'array') {
      for (let i = 0; i < content.items.length; i++) addFeatureValue(arrayItem(content, i), name, feature);
    } else {
      addFeatureValue(content, name, feature);
    }
    features[name] = feature.kind === undefined ? {} : { [feature.kind]: { value: feature.values } };
  }
  const Example = protoType('tensorflow.Example');
  return Example.encode({ features: { feature: features } }).finish();
}

function kindError(name: string, feature: FeatureBuilder): ServingError {
  return invalidArgument(
    `Unexpected element type in feature: ${name} expecting type: ${feature.kind === undefined ? 'UNKNOWN' : KIND_NAME[feature.kind]}`,
  );
}

function setKind(feature: FeatureBuilder, kind: FeatureKind, name: string): void {
  if (feature.kind !== undefined && feature.kind !== kind) throw kindError(name, feature);
  feature.kind = kind;
}

const unexpectedType = (name: string, v: JsonValue): ServingError =>
  invalidArgument(`Feature: ${name} has element with unexpected JSON type: ${jsonTypeName(v)}`);

/** AddValueToFeature. */
function addFeatureValue(v: JsonValue, name: string, feature: FeatureBuilder): void {
  switch (v.type) {
    case 'null':
    case 'array':
      throw unexpectedType(name, v);
    case 'bool':
      setKind(feature, 'int64_list', name);
      feature.values.push(v.value ? 1 : 0);
      return;
    case 'object':
      if (!isBase64Object(v)) throw unexpectedType(name, v);
      setKind(feature, 'bytes_list', name);
      feature.values.push(decodeBase64Object(v));
      return;
    case 'string':
      setKind(feature, 'bytes_list', name);
      feature.values.push(v.bytes);
      return;
    case 'number':
      if (v.flags & NumFlag.DOUBLE) {
        setKind(feature, 'float_list', name);
        // GetFloat: rounded to float, ±Infinity beyond its range (no precision check since 2021).
        feature.values.push(Math.fround(v.value));
      } else {
        setKind(feature, 'int64_list', name);
        if (!(v.flags & NumFlag.INT64)) throw invalidArgument(`Feature: ${name} has uint64_t element. Only int64_t is supported.`);
        feature.values.push(Number.isSafeInteger(v.value) ? v.value : Long.fromString(v.bigint.toString()));
      }
      return;
  }
}
