import { Reader, Writer } from 'protobufjs';
import Long from 'long';
import { ModelSpecInput, ResolvedModelSpec } from '../inference/model-spec';
import { protoType } from '../proto/root';

/** tensorflow.serving.ModelSpec as protobufjs decodes it. */
interface ModelSpecMessage {
  name?: string;
  version?: { value?: Long | number } | null;
  version_label?: string;
  signature_name?: string;
}

function toInput(m: ModelSpecMessage): ModelSpecInput {
  const v = m.version;
  return {
    name: m.name ?? '',
    version: v ? Number(Long.fromValue(v.value ?? 0).toString()) : undefined,
    versionLabel: m.version_label ? m.version_label : undefined,
    signatureName: m.signature_name ?? '',
  };
}

/** Reads a ModelSpec occupying the next `length` bytes of `r`. */
export function decodeModelSpec(r: Reader, length: number): ModelSpecInput {
  return toInput(protoType('tensorflow.serving.ModelSpec').decode(r, length) as unknown as ModelSpecMessage);
}

/** A ModelSpec from an already decoded message object (non-hot-path RPCs). */
export function modelSpecFromMessage(m: unknown): ModelSpecInput | undefined {
  return m ? toInput(m as ModelSpecMessage) : undefined;
}

/** Writes a ModelSpec body (name, version, signature_name, in field order). */
export function writeModelSpec(w: Writer, spec: ResolvedModelSpec | { name: string; version: number }): void {
  if (spec.name) w.uint32((1 << 3) | 2).string(spec.name);
  w.uint32((2 << 3) | 2).fork();
  if (spec.version !== 0) w.uint32(1 << 3).int64(spec.version);
  w.ldelim();
  if ('signatureName' in spec && spec.signatureName) w.uint32((3 << 3) | 2).string(spec.signatureName);
}
