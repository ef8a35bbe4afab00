import { invalidArgument } from '../errors/serving-error';

/**
 * Triton's binary tensor data extension on REST: a body is a JSON header followed by tensor data in
 * the raw layout (tensor-data.ts). The `Inference-Header-Content-Length` header gives the JSON's size;
 * each input whose `parameters.binary_data_size` is set takes that many bytes of the rest, in input
 * order; outputs sent as binary data carry `parameters.binary_data_size` instead of `data`, and their
 * bytes follow the response's JSON in output order.
 */

export const HEADER_LENGTH_HEADER = 'inference-header-content-length';

/** The JSON header and the binary data of a request body. */
export interface SplitBody {
  readonly json: Uint8Array;
  /** Undefined when the request has no binary section (no Inference-Header-Content-Length). */
  readonly binary?: BinaryInputData;
}

export function splitBody(body: Buffer, headerLength: string | undefined): SplitBody {
  if (headerLength === undefined) return { json: body };
  if (!/^[0-9]+$/.test(headerLength.trim())) throw invalidArgument(`Inference-Header-Content-Length '${headerLength}' is not a byte count`);
  const n = Number(headerLength.trim());
  if (n > body.byteLength) {
    throw invalidArgument(`Inference-Header-Content-Length is ${n}, but the request body has only ${body.byteLength} bytes`);
  }
  return { json: body.subarray(0, n), binary: new BinaryInputData(body.subarray(n)) };
}

/** The binary section of a request, handed out to the inputs in order. */
export class BinaryInputData {
  private at = 0;

  constructor(private readonly data: Uint8Array) {}

  take(input: string, size: number): Uint8Array {
    if (this.at + size > this.data.byteLength) {
      throw invalidArgument(
        `input '${input}' has binary_data_size ${size}, but only ${this.data.byteLength - this.at} bytes of binary data are left in the request`,
      );
    }
    const out = this.data.subarray(this.at, this.at + size);
    this.at += size;
    return out;
  }

  /** Every byte must belong to an input. */
  finish(): void {
    const left = this.data.byteLength - this.at;
    if (left !== 0) throw invalidArgument(`the request has ${left} bytes of binary data that no input's binary_data_size accounts for`);
  }
}

/** A response body: the JSON header, then each binary output's bytes. */
export interface InferResponseBody {
  readonly json: Buffer;
  readonly binary: readonly Uint8Array[];
}

/** Headers for a response body: the header length only when binary data follows the JSON. */
export function responseHeaders(body: InferResponseBody): Record<string, string> {
  if (body.binary.length === 0) return { 'Content-Type': 'application/json' };
  return { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(body.json.byteLength) };
}
