import { runPythonJson } from './python';

/**
 * tritonclient (HTTP and gRPC), the Open Inference Protocol's reference client, driven through
 * python/check_v2.py: each case is one call made the way its users make it.
 */

/** Values: numbers, strings for NaN / ±Infinity / -0.0 / 64-bit integers, strings or {b64} for BYTES. */
export type V2Value = number | string | boolean | { b64: string };

export interface V2TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
  values: V2Value[];
  /** HTTP only: send as binary data after the JSON (tritonclient's default) or as JSON `data`. */
  binary?: boolean;
}

export interface V2Case {
  name: string;
  op?: 'infer' | 'server' | 'model_metadata' | 'model_ready';
  transport: 'http' | 'grpc' | 'grpc_typed';
  model?: string;
  version?: string;
  signature?: string;
  id?: string;
  inputs?: V2TensorSpec[];
  outputs?: { name: string; binary?: boolean }[];
  compression?: 'gzip' | 'deflate';
  client_timeout?: number;
}

export interface V2OutputResult {
  name: string;
  datatype: string;
  shape: number[];
  /** HTTP only: whether the server sent it as binary data. */
  binary?: boolean;
  values: V2Value[];
}

export interface V2Result {
  name: string;
  ok: boolean;
  model_name?: string;
  model_version?: string;
  id?: string;
  outputs?: V2OutputResult[];
  live?: boolean;
  ready?: boolean;
  metadata?: unknown;
  error?: { status: string; message: string };
}

export async function runV2Cases(http: string, grpc: string, cases: V2Case[]): Promise<V2Result[]> {
  const out = await runPythonJson<{ results: V2Result[] }>('check_v2.py', ['--http', http, '--grpc', grpc, '--cases', '-'], JSON.stringify(cases));
  return out.results;
}

/** Outputs by name, as `name: values`, for compact exact comparisons. */
export function valuesByName(r: V2Result): Record<string, V2Value[]> {
  return Object.fromEntries((r.outputs ?? []).map((o) => [o.name, o.values]));
}
