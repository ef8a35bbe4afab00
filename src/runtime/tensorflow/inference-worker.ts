import { parentPort } from 'node:worker_threads';
import { loadBinding } from './tf-binding';
import { TfSessionRunner } from './tf-session-runner';
import { WorkerReply, WorkerRequest } from './worker-protocol';

/**
 * Worker thread that owns every TensorFlow session. TensorFlow calls through tfjs-node's binding are
 * synchronous; running them here keeps the main thread free to accept, decode and queue requests.
 */
const port = parentPort;
if (!port) throw new Error('inference-worker must run as a worker thread');

const binding = loadBinding();
const runner = new TfSessionRunner(binding);

port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    switch (req.op) {
      case 'load':
        reply = { id: req.id, ok: true, sessionId: runner.load(req.dir, req.tags) };
        break;
      case 'unload':
        runner.unload(req.sessionId);
        reply = { id: req.id, ok: true };
        break;
      case 'run': {
        // The worker is the real queue: a request whose deadline passed while waiting here never runs.
        if (req.deadlineMs !== undefined && Date.now() >= req.deadlineMs) {
          reply = { id: req.id, ok: false, message: 'Deadline Exceeded', deadlineExceeded: true };
          break;
        }
        // The client left while this run waited: the main thread raised the shared flag.
        if (req.cancelled && Atomics.load(req.cancelled, 0) === 1) {
          reply = { id: req.id, ok: false, message: 'Request was cancelled', cancelled: true };
          break;
        }
        const outputs = runner.run(req.sessionId, req.feeds, req.feedNames, req.fetchNames);
        for (const o of outputs) {
          if (o.bytes) transfer.push(o.bytes.buffer as ArrayBuffer);
          if (o.strings) transfer.push(o.strings.data.buffer as ArrayBuffer, o.strings.offsets.buffer as ArrayBuffer);
        }
        reply = { id: req.id, ok: true, outputs };
        break;
      }
      case 'stats':
        reply = { id: req.id, ok: true, stats: runner.stats() };
        break;
      case 'version':
        reply = { id: req.id, ok: true, version: binding.TF_Version };
        break;
    }
  } catch (err) {
    reply = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, uniqueBuffers(transfer));
});

/** A buffer may appear once in a transfer list; outputs read from one TF buffer could share it. */
function uniqueBuffers(list: ArrayBuffer[]): ArrayBuffer[] {
  return [...new Set(list)];
}
