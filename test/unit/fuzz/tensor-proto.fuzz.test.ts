/**
 * Property-based tests of the gRPC tensor path: TensorProto wire decoding (decodeRawTensorProto +
 * tensorFromRaw, src/tensor/tensor-proto-decode.ts) and the whole PredictRequest decoder
 * (decodePredictRequest, src/apis/predict-codec.ts), on random bytes, on mutations of valid messages
 * and on structurally valid but adversarial TensorProtos (any dtype number, negative / huge / too many
 * dims, tensor_content of the wrong length, typed values in every field, wire-type mismatches).
 *
 * The oracle for adversarial protos is TensorFlow's own: TensorShape::IsValid (rank <= 254, no
 * negative dim, the running product of the dims never overflows int64 — 0 times anything stays 0)
 * and Tensor::FromProto (tensor_content must have exactly the shape's bytes; otherwise the dtype's
 * typed field, extra values ignored, the last value repeated, none meaning zeros).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { Reader, Writer } from 'protobufjs';
import { decodePredictRequest } from '../../../src/apis/predict-codec';
import { protoType } from '../../../src/proto/root';
import { DataType, dtypeSize, isSupportedDType } from '../../../src/tensor/dtype';
import { Tensor, isStringTensor } from '../../../src/tensor/tensor';
import { RawTensorProto, TensorProtoError, decodeRawTensorProto, tensorFromRaw } from '../../../src/tensor/tensor-proto-decode';
import { MiB, assertClientError, fcParams, memory, resultOrClientError, timed } from './fuzz-helpers';
import {
  FIELD_OF_DTYPE, IntField, LEN, ProtoSpec, VARINT, ValueEntry, expectedTypedBytes, hex, i32Arb, i64Arb, long, materialize, specArb,
  tag, tfShapeValid, u32Arb, writeSpec,
} from './tensor-proto-arbitrary';

const REPO = path.resolve(__dirname, '../../..');

function checkConsistent(t: Tensor, dims: readonly bigint[]): void {
  expect([...t.shape]).toEqual(dims.map(Number));
  const n = dims.reduce((a, d) => a * Number(d), 1);
  if (isStringTensor(t)) expect(t.strings.length).toBe(n);
  else expect(t.bytes.byteLength).toBe(n * dtypeSize(t.dtype));
}

function decodeTensor(bytes: Uint8Array, maxBytes?: number): Tensor {
  const raw = decodeRawTensorProto(Reader.create(bytes), bytes.length);
  return maxBytes === undefined ? tensorFromRaw(raw) : tensorFromRaw(raw, maxBytes);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('TensorProto decoding, fuzzed', () => {
  test('random bytes: a tensor or a TensorProtoError/ServingError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const t = resultOrClientError(() => decodeTensor(bytes));
        if (t) expect(isStringTensor(t) ? t.strings.length : t.bytes.byteLength).toBeGreaterThanOrEqual(0);
      }),
      fcParams(0x7e50, 3000),
    );
  });

  test('structurally valid adversarial TensorProtos follow TensorShape::IsValid and Tensor::FromProto', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const { bytes, dtype, dims, content } = materialize(spec);
        // Well-formed protobuf: the wire decoder itself must not throw.
        const raw: RawTensorProto = decodeRawTensorProto(Reader.create(bytes), bytes.length);
        const r = timed(() => tensorFromRaw(raw));
        expect(r.ms).toBeLessThan(1000);
        // resource_handle_val / variant_val: TensorFlow ignores them beside another dtype; refusing is allowed.
        const hasPayload = spec.entries.some((e) => e.kind === 'payload');
        const mustFail =
          !tfShapeValid(dims) ||
          !isSupportedDType(dtype) ||
          (content !== undefined && content.length > 0 && dtype !== DataType.DT_STRING && isSupportedDType(dtype) &&
            BigInt(content.length) !== dims.reduce((a, d) => a * d, 1n) * BigInt(dtypeSize(dtype)));
        if (r.error !== undefined) {
          assertClientError(r.error);
          // Where TensorFlow accepts the proto we must too, except for dims beyond 2^53 (not representable here).
          if (!mustFail && !hasPayload && dims.every((d) => d <= BigInt(Number.MAX_SAFE_INTEGER))) {
            const n = dims.reduce((a, d) => a * d, 1n);
            // A string tensor_content that is not a valid string list is rejected by TensorFlow as well.
            const badStringList = dtype === DataType.DT_STRING && content !== undefined && content.length > 0;
            if (!badStringList && n <= 64n) throw new Error(`rejected a proto TensorFlow accepts: ${(r.error as Error).message}`);
          }
          return;
        }
        if (mustFail) {
          throw new Error(`accepted a proto TensorFlow rejects (dtype ${dtype}, dims [${dims.join(',')}], content ${content?.length ?? 'none'} bytes)`);
        }
        const t = r.value as Tensor;
        expect(t.dtype).toBe(dtype);
        checkConsistent(t, dims);
        const n = Number(dims.reduce((a, d) => a * d, 1n));
        if (isStringTensor(t)) {
          if (content !== undefined && content.length > 0) return; // checked for consistency above
          const given = spec.entries.flatMap((e) => (e.kind === 'string' ? e.values : []));
          const want = Array.from({ length: n }, (_, i) => (given.length ? given[Math.min(i, given.length - 1)] : new Uint8Array(0)));
          expect(t.strings.map(hex)).toEqual(want.map(hex));
        } else if (content !== undefined && content.length > 0) {
          expect(hex(t.bytes)).toBe(hex(content));
        } else {
          expect(hex(t.bytes)).toBe(hex(expectedTypedBytes(dtype, n, spec.entries)));
        }
      }),
      fcParams(0xad7e, 4000),
    );
  });

  test('with a small maxBytes, a tensor that would be materialised beyond it is refused', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 64 }), (spec, maxBytes) => {
        const { bytes } = materialize(spec);
        const t = resultOrClientError(() => decodeTensor(bytes, maxBytes));
        if (t && !isStringTensor(t)) {
          // Bytes that are a view of the request (tensor_content) cost nothing; built ones must fit.
          const isView = t.bytes.buffer === (bytes as Uint8Array).buffer;
          if (!isView) expect(t.bytes.byteLength).toBeLessThanOrEqual(maxBytes);
        }
      }),
      fcParams(0x3a11, 1500),
    );
  });

  test('mutations of valid TensorProtos (byte flips, truncation, insertion): never another exception', () => {
    const mutation = fc.tuple(specArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert', 'delete')), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(mutation, ([spec, edits]) => {
        let bytes = Buffer.from(materialize(spec).bytes);
        for (const [pos, byte, op] of edits) {
          const at = bytes.length === 0 ? 0 : pos % bytes.length;
          if (op === 'flip' && bytes.length) bytes[at] ^= byte || 1;
          else if (op === 'cut') bytes = bytes.subarray(0, at);
          else if (op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
          else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        }
        const r = timed(() => resultOrClientError(() => decodeTensor(bytes)));
        if (r.error) throw r.error;
        expect(r.ms).toBeLessThan(1000);
      }),
      fcParams(0x5eed, 3000),
    );
  });

  test('random valid tensors round-trip through protobufjs encoding (independent encoder)', () => {
    const TensorProto = protoType('tensorflow.TensorProto');
    const cases = fc.oneof(
      fc.array(fc.float({ noNaN: true }), { maxLength: 20 }).map((v) => ({ dtype: 1, field: 'float_val', values: v as unknown[], bytes: Buffer.from(new Float32Array(v).buffer) })),
      fc.array(fc.double({ noNaN: true }), { maxLength: 20 }).map((v) => ({ dtype: 2, field: 'double_val', values: v as unknown[], bytes: Buffer.from(new Float64Array(v).buffer) })),
      fc.array(i32Arb, { maxLength: 20 }).map((v) => ({ dtype: 3, field: 'int_val', values: v as unknown[], bytes: Buffer.from(new Int32Array(v).buffer) })),
      fc.array(i64Arb, { maxLength: 20 }).map((v) => ({ dtype: 9, field: 'int64_val', values: v.map((x) => long(x)) as unknown[], bytes: Buffer.from(new BigInt64Array(v).buffer) })),
      fc.array(fc.boolean(), { maxLength: 20 }).map((v) => ({ dtype: 10, field: 'bool_val', values: v as unknown[], bytes: Buffer.from(v.map((b) => (b ? 1 : 0))) })),
      fc.array(u32Arb, { maxLength: 20 }).map((v) => ({ dtype: 22, field: 'uint32_val', values: v.map(Number) as unknown[], bytes: Buffer.from(new Uint32Array(v.map(Number)).buffer) })),
    );
    fc.assert(
      fc.property(cases, ({ dtype, field, values, bytes }) => {
        const buf = TensorProto.encode(TensorProto.fromObject({ dtype, tensor_shape: { dim: [{ size: values.length }] }, [field]: values })).finish();
        const t = decodeTensor(buf);
        if (isStringTensor(t)) throw new Error('numeric expected');
        expect([...t.shape]).toEqual([values.length]);
        expect(hex(t.bytes)).toBe(hex(bytes));
      }),
      fcParams(0x4017, 1000),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Claims of enormous tensors in tiny messages
// ---------------------------------------------------------------------------------------------

/** A TensorProto of `dtype` claiming `dims`, with one typed value (or a tensor_content of `content` bytes). */
function claim(dtype: number, dims: bigint[], content?: number): Uint8Array {
  const entries: ValueEntry[] = [];
  if (content === undefined) {
    const field = FIELD_OF_DTYPE[dtype];
    if (field === 8) entries.push({ kind: 'string', values: [new Uint8Array([65])] });
    else if (field === 5 || field === 9) entries.push({ kind: 'fixed', field, values: [0x3f800000n], packed: true });
    else if (field === 6 || field === 12) entries.push({ kind: 'fixed', field, values: [1n], packed: true });
    else if (field === 10 || field === 17) entries.push({ kind: 'long', field, values: [1n], packed: true });
    else entries.push({ kind: 'int', field: field as IntField, values: [1], packed: true });
  }
  return writeSpec({
    dtypes: [dtype],
    shapes: [{ dims, unknownRank: false }],
    contents: content === undefined ? [] : [new Uint8Array(content)],
    exactContent: false,
    entries,
  });
}

const TWO_40 = 2n ** 40n;

describe('a tensor_shape claiming 2^40 elements is refused before any allocation', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['float, one float_val', claim(DataType.DT_FLOAT, [TWO_40])],
    ['float, dims [2^20, 2^20], one float_val', claim(DataType.DT_FLOAT, [2n ** 20n, 2n ** 20n])],
    ['float, 4-byte tensor_content', claim(DataType.DT_FLOAT, [TWO_40], 4)],
    ['double, one double_val', claim(DataType.DT_DOUBLE, [TWO_40])],
    ['int64, one int64_val', claim(DataType.DT_INT64, [TWO_40])],
    ['bool, one bool_val', claim(DataType.DT_BOOL, [TWO_40])],
    ['uint8, one int_val', claim(DataType.DT_UINT8, [TWO_40])],
    ['complex128, one dcomplex_val', claim(DataType.DT_COMPLEX128, [TWO_40])],
    ['string, one string_val', claim(DataType.DT_STRING, [TWO_40])],
    ['string, 4-byte tensor_content', claim(DataType.DT_STRING, [TWO_40], 4)],
  ];
  test.each(cases)('%s', (_name, bytes) => {
    const before = memory();
    const r = timed(() => decodeTensor(bytes));
    const after = memory();
    expect(r.error).toBeInstanceOf(TensorProtoError);
    expect((r.error as Error).message).not.toBe('');
    expect(r.ms).toBeLessThan(50);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * MiB);
    expect(after.rss - before.rss).toBeLessThan(64 * MiB);
  });

  test('the same claims inside a whole PredictRequest: decoded without allocation, refused by tensorFromRaw', () => {
    for (const [name, tensor] of cases) {
      const w = Writer.create();
      w.uint32(tag(1, LEN)).fork().uint32(tag(1, LEN)).string('m').ldelim();
      w.uint32(tag(2, LEN)).fork().uint32(tag(1, LEN)).string('x').uint32(tag(2, LEN)).bytes(tensor).ldelim();
      const buf = Buffer.from(w.finish());
      const before = memory();
      const r = timed(() => {
        const req = decodePredictRequest(buf);
        return tensorFromRaw(req.inputs.get('x') as RawTensorProto);
      });
      const after = memory();
      expect([name, r.error instanceof TensorProtoError]).toEqual([name, true]);
      expect(r.ms).toBeLessThan(50);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * MiB);
    }
  });
});

/**
 * Claims that are under the 2 GiB tensor limit in bytes but not in elements. Building them in this
 * process could abort V8 itself (an uncatchable fatal error, as the server process did), so each runs
 * in a child node process on the compiled dist/ (`npx tsc` first), with a time limit.
 */
describe('large element claims, isolated in a child process', () => {
  const DIST = path.join(REPO, 'dist/tensor/tensor-proto-decode.js');

  function runIsolated(dtype: number, dims: bigint[]): { status: number | null; signal: string | null; out: string; ms: number } {
    const bytes = Buffer.from(claim(dtype, dims)).toString('base64');
    const script = `
      const { Reader } = require('protobufjs');
      const { decodeRawTensorProto, tensorFromRaw, TensorProtoError } = require(${JSON.stringify(DIST)});
      const buf = Buffer.from(${JSON.stringify(bytes)}, 'base64');
      const t0 = Date.now();
      try {
        const t = tensorFromRaw(decodeRawTensorProto(Reader.create(buf), buf.length));
        console.log(JSON.stringify({ outcome: 'tensor', ms: Date.now() - t0, rssMiB: process.memoryUsage().rss >> 20 }));
      } catch (e) {
        console.log(JSON.stringify({ outcome: e instanceof TensorProtoError ? 'TensorProtoError' : e.constructor.name, message: e.message, ms: Date.now() - t0, rssMiB: process.memoryUsage().rss >> 20 }));
      }`;
    const start = Date.now();
    const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8', timeout: 20000 });
    return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}`.slice(0, 2000), ms: Date.now() - start };
  }

  test.each([
    ['string, 2^28 elements from one string_val', DataType.DT_STRING, [2n ** 28n]],
    ['string, 2^30 elements from one string_val', DataType.DT_STRING, [2n ** 30n]],
  ] as Array<[string, number, bigint[]]>)('%s: refused with a TensorProtoError, process alive', (_name, dtype, dims) => {
    if (!fs.existsSync(DIST)) throw new Error(`${DIST} is missing: run npx tsc -p tsconfig.json first`);
    const r = runIsolated(dtype, dims);
    // A fatal V8 error (signal / non-zero status) here is a remote crash of the server: one ~20-byte gRPC request.
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    const result = JSON.parse(r.out.trim().split('\n').pop() as string) as { outcome: string; ms: number; rssMiB: number };
    expect(result.outcome).toBe('TensorProtoError');
    expect(result.ms).toBeLessThan(1000);
  }, 30000);
});

describe('PredictRequest decoding, fuzzed (decodePredictRequest, then tensorFromRaw for each input)', () => {
  const PredictRequest = protoType('tensorflow.serving.PredictRequest');

  /** The full gRPC decode path of a Predict call up to the tensors. */
  function decodeAll(buf: Buffer): void {
    const req = decodePredictRequest(buf);
    for (const raw of req.inputs.values()) tensorFromRaw(raw as RawTensorProto);
  }

  const requestArb = (withMismatches: boolean) => fc
    .record({
      name: fc.string({ maxLength: 12 }),
      version: fc.option(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)),
      label: fc.string({ maxLength: 6 }),
      signature: fc.string({ maxLength: 12 }),
      inputs: fc.array(fc.tuple(fc.string({ maxLength: 8 }), specArb), { maxLength: 3 }),
      outputFilter: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    })
    .map((r) => {
      const w = Writer.create();
      w.uint32(tag(1, LEN)).fork();
      w.uint32(tag(1, LEN)).string(r.name);
      if (r.version !== null) w.uint32(tag(2, LEN)).fork().uint32(tag(1, VARINT)).int64(long(r.version)).ldelim();
      if (r.label) w.uint32(tag(4, LEN)).string(r.label);
      w.uint32(tag(3, LEN)).string(r.signature);
      w.ldelim();
      for (const [key, full] of r.inputs) {
        // protobufjs' reflection decoder misreads wire-type mismatches, so the cross-check leaves them out.
        const spec = withMismatches ? full : { ...full, entries: full.entries.filter((e) => e.kind !== 'mismatch') };
        w.uint32(tag(2, LEN)).fork().uint32(tag(1, LEN)).string(key).uint32(tag(2, LEN)).bytes(materialize(spec).bytes).ldelim();
      }
      for (const f of r.outputFilter) w.uint32(tag(3, LEN)).string(f);
      return { ...r, bytes: Buffer.from(w.finish()) };
    });
  const validRequest = requestArb(true);

  test('random bytes: a request or a ServingError/TensorProtoError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        resultOrClientError(() => decodeAll(Buffer.from(bytes)));
      }),
      fcParams(0x9d1c, 3000),
    );
  });

  test('structurally valid requests decode to what was sent (cross-checked with protobufjs reflection)', () => {
    fc.assert(
      fc.property(requestArb(false), (r) => {
        const req = decodePredictRequest(r.bytes);
        const ref = PredictRequest.toObject(PredictRequest.decode(r.bytes), { longs: String }) as {
          model_spec?: { name?: string; signature_name?: string };
          inputs?: Record<string, unknown>;
          output_filter?: string[];
        };
        expect(req.modelSpec?.name).toBe(ref.model_spec?.name ?? '');
        expect(req.modelSpec?.signatureName).toBe(ref.model_spec?.signature_name ?? '');
        expect([...req.inputs.keys()].sort()).toEqual(Object.keys(ref.inputs ?? {}).sort());
        expect(req.outputFilter).toEqual(ref.output_filter ?? []);
        for (const raw of req.inputs.values()) resultOrClientError(() => tensorFromRaw(raw as RawTensorProto));
      }),
      fcParams(0x1e57, 800),
    );
  });

  test('mutations of valid requests: never another exception type, never slow', () => {
    const mutated = fc.tuple(validRequest, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 3 }));
    fc.assert(
      fc.property(mutated, ([r, edits]) => {
        let bytes = Buffer.from(r.bytes);
        for (const [pos, byte, op] of edits) {
          const at = bytes.length === 0 ? 0 : pos % bytes.length;
          if (op === 'flip' && bytes.length) bytes[at] ^= byte || 1;
          else if (op === 'cut') bytes = bytes.subarray(0, at);
          else bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]);
        }
        const t = timed(() => resultOrClientError(() => decodeAll(bytes)));
        if (t.error) throw t.error;
        expect(t.ms).toBeLessThan(1000);
      }),
      fcParams(0xc0de, 2000),
    );
  });
});

/** The smallest inputs behind the fuzzers' findings, as plain examples. */
describe('regressions found by fuzzing', () => {
  test('dims whose running product overflows int64 are refused even when a later dim is 0 (TensorFlow aborts on them)', () => {
    // TensorShape::IsValid multiplies left to right: 2^52 * 2^52 overflows before the 0 is reached.
    // Handing such a shape to TensorFlow's C API kills the process (tensor_shape.cc CHECK), so the
    // server must refuse it like Tensor::FromProto does.
    for (const dims of [[2n ** 52n - 1n, 2n ** 52n - 1n, 0n], [2n ** 40n, 2n ** 40n, 0n, 1n], [2n ** 32n, 2n ** 32n, 2n ** 32n, 0n]]) {
      const bytes = writeSpec({ dtypes: [DataType.DT_FLOAT], shapes: [{ dims, unknownRank: false }], contents: [], exactContent: false, entries: [] });
      const r = timed(() => decodeTensor(bytes));
      expect([dims.join(','), r.error instanceof TensorProtoError]).toEqual([dims.join(','), true]);
    }
    // 0 first keeps the product at 0: valid for TensorFlow, and an empty tensor here.
    const ok = writeSpec({ dtypes: [DataType.DT_FLOAT], shapes: [{ dims: [0n, 2n ** 52n, 2n ** 52n], unknownRank: false }], contents: [], exactContent: false, entries: [] });
    const t = decodeTensor(ok);
    expect(isStringTensor(t) ? -1 : t.bytes.byteLength).toBe(0);
  });

  test('malformed protobuf framing is reported as a TensorProtoError / ServingError, not a protobufjs RangeError', () => {
    const cases: Array<[string, number[]]> = [
      ['truncated varint', [0x08, 0xff]],
      ['length beyond the end', [0x22, 0x05, 0x01]],
      ['wire type 7', [0x0f]],
      ['10-byte varint overflow', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ];
    for (const [name, bytes] of cases) {
      const buf = Uint8Array.from(bytes);
      const r = timed(() => decodeTensor(buf));
      expect([name, r.error instanceof TensorProtoError]).toEqual([name, true]);
      const w = Writer.create();
      w.uint32(tag(1, LEN)).fork().uint32(tag(1, LEN)).string('m').ldelim();
      const head = Buffer.from(w.finish());
      for (const body of [Buffer.concat([head, Buffer.from([0x12, buf.length + 2, 0x12, buf.length]), Buffer.from(buf)]), Buffer.concat([head, Buffer.from(buf)])]) {
        const req = timed(() => decodePredictRequest(body));
        if (req.error !== undefined) assertClientError(req.error);
      }
    }
  });

  test('an odd number of scomplex_val / dcomplex_val components: the half element is ignored, as TensorFlow does', () => {
    // ProtoHelper<complex128>::NumElements is dcomplex_val_size() / 2: one component is zero elements,
    // so a scalar complex128 from one dcomplex_val is 0+0i, not (value)+0i.
    for (const [dtype, field, width] of [[DataType.DT_COMPLEX128, 12, 16], [DataType.DT_COMPLEX64, 9, 8]] as const) {
      const bytes = writeSpec({
        dtypes: [dtype],
        shapes: [{ dims: [], unknownRank: false }],
        contents: [],
        exactContent: false,
        entries: [{ kind: 'fixed', field, values: [0x3ff0000000000000n], packed: true }],
      });
      const t = decodeTensor(bytes);
      expect(isStringTensor(t) ? '' : hex(t.bytes)).toBe('00'.repeat(width));
    }
  });
});
