import { WireTensor } from './wire-tensor';

/** Messages between the main thread and the inference worker; `id` pairs a reply with its request. */
export type WorkerRequest =
  | { op: 'load'; id: number; dir: string; tags: string[] }
  | { op: 'unload'; id: number; sessionId: number }
  | { op: 'run'; id: number; sessionId: number; feeds: WireTensor[]; feedNames: string[]; fetchNames: string[]; deadlineMs?: number; cancelled?: Int32Array }
  | { op: 'stats'; id: number }
  | { op: 'version'; id: number };

export type WorkerReply =
  | { id: number; ok: true; sessionId?: number; outputs?: WireTensor[]; stats?: { tensors: number; savedModels: number }; version?: string }
  | { id: number; ok: false; message: string; deadlineExceeded?: boolean; cancelled?: boolean };
