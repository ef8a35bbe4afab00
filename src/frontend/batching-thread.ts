import { MessagePort, parentPort, workerData } from 'node:worker_threads';
import { BatchScheduler } from '../batching/batch-scheduler';
import { observeBatching } from '../batching/batch-metrics';
import { BatchingServable } from '../batching/batching-servable';
import { unavailable } from '../errors/serving-error';
import { SavedModelServable } from '../loaders/saved-model/saved-model-servable';
import { ServingMetrics } from '../metrics/serving-metrics';
import { setThreadName } from './listen-socket';
import { BatchCalls, BatchNotes, BatcherCalls, BatcherNotes, BatchingThreadData } from './planes';
import { ThreadRpc } from './thread-rpc';

/**
 * The batching thread: the process's one set of batching queues per batched version, fed by every
 * front-end thread over a port of its own, so that requests that arrived on different threads share
 * batches while the main thread stays off the request path. Batches run on the process-wide sessions.
 * A version is announced on a port before its first run there (so it is known before any run for it), and
 * forgotten when the control plane unloads it, which happens only after every front-end thread let go.
 */

const data = workerData as BatchingThreadData;
setThreadName('batching');
const control = new ThreadRpc<BatcherCalls, BatcherNotes, Record<string, never>, Record<string, never>>(parentPort!);
const metrics = new ServingMetrics();
const scheduler = new BatchScheduler(data.numBatchThreads);
observeBatching(scheduler, metrics, data.threadPoolName);
/** Batched versions by process-wide session id. */
const versions = new Map<number, BatchingServable>();

control.onNote('forget', (sessionId) => {
  const s = versions.get(sessionId);
  versions.delete(sessionId);
  void s?.unload();
});
control.handle('metrics', async () => ({ value: await metrics.registry.getMetricsAsJSON() }));
// A front-end thread started later (one replacing a thread that died) gets its port this way.
control.onNote('port', (port) => serve(port));

function serve(port: MessagePort): void {
  const link = new ThreadRpc<BatchCalls, BatchNotes, Record<string, never>, Record<string, never>>(port);
  link.onNote('version', (v) => {
    if (versions.has(v.sessionId)) return;
    try {
      const session = SavedModelServable.openShared(v.exportDir, v.sessionId, { signatures: new Map(), rawSignatureDefEntries: [] });
      versions.set(v.sessionId, new BatchingServable(session, scheduler, v.batching));
    } catch {
      // Closed meanwhile (a thread that died announced it late): its runs, if any, are refused below.
    }
  });
  link.handle('run', async (r, signal) => {
    const servable = versions.get(r.sessionId);
    if (!servable) throw unavailable(`the batching queues of session ${r.sessionId} are gone`);
    return { value: await servable.run(r.feedNames, r.feeds, r.fetchNames, { deadlineMs: r.deadlineMs, signal }) };
  });
}

for (const port of data.ports) serve(port);
