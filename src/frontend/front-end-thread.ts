import { parentPort, workerData } from 'node:worker_threads';
import { modelService } from '../grpc/model-service';
import { ServingMetrics } from '../metrics/serving-metrics';
import { JsonParsePool } from '../rest/json-parse-pool';
import { PostingLogSink } from '../request-logging/posting-log-sink';
import { RequestLoggers } from '../request-logging/request-loggers';
import { RestApiHandlers } from '../rest/rest-handlers';
import { FrontEnds } from './front-ends';
import { setThreadName } from './listen-socket';
import { BatchCalls, BatchNotes, FrontEndThreadData, PublishedVersion } from './planes';
import { RemoteServable, RunSender, ServableReplica, ThreadSide, controlPlaneSender } from './servable-replica';
import { BatchingOptions } from '../config/batching-parameters';
import { Servable } from '../lifecycle/servable';
import { SavedModelServable } from '../loaders/saved-model/saved-model-servable';
import { ThreadRpc } from './thread-rpc';

/**
 * A front-end thread: its own gRPC and REST servers on its share of the ports, answering from a replica
 * of the serving table (runs go straight to the process-wide TensorFlow sessions). Config reloads and
 * process-wide metric reads go to the control plane.
 */

const data = workerData as FrontEndThreadData;
setThreadName(`frontend-${data.index}`);
const rpc: ThreadSide = new ThreadRpc(parentPort!);
const metrics = new ServingMetrics();
const batcher = data.batchPort ? new ThreadRpc<Record<string, never>, Record<string, never>, BatchCalls, BatchNotes>(data.batchPort) : undefined;

/** Runs through the batching thread's queues; the version is announced on this port before its first run. */
function batchingSender(sessionId: number, exportDir: string, batching: BatchingOptions, to: NonNullable<typeof batcher>): RunSender {
  let announced = false;
  return (feedNames, feeds, fetchNames, deadlineMs, transfer, signal) => {
    if (!announced) to.note('version', { sessionId, exportDir, batching });
    announced = true;
    return to.call('run', { sessionId, feedNames, feeds, fetchNames, deadlineMs }, transfer, signal);
  };
}

/** A session and no batching: run it here. Batched: the batching thread. No session (TFLite): the control plane. */
function open(v: PublishedVersion): Servable {
  if (v.sessionId === undefined) return new RemoteServable(v, controlPlaneSender(rpc, v.name, v.version));
  if (v.batching && batcher) return new RemoteServable(v, batchingSender(v.sessionId, v.exportDir, v.batching, batcher));
  return SavedModelServable.openShared(v.exportDir, v.sessionId, { signatures: v.signatures, rawSignatureDefEntries: v.rawSignatureDefEntries });
}
const replica = new ServableReplica({ unavailableUntilFirstLoad: data.unavailableUntilFirstLoad }, rpc, open);
// Sampled and encoded here; the control plane owns the files.
const requestLog = new RequestLoggers(
  new PostingLogSink((model, record, transfer) => rpc.note('logRecord', { model, record }, transfer)),
  data.requestLog,
);
replica.onModels = (m) => requestLog.update(m.logging);
const frontEnds = new FrontEnds(
  {
    servables: replica.servables,
    modelService: modelService(
      replica.servables,
      { apply: (next) => rpc.call('reload', next) },
      { int64Value: (name) => rpc.call('metricValue', name) },
    ),
    restHandlers: new RestApiHandlers(
      replica.servables,
      { checkMethodName: data.options.checkMethodName, requestLog },
      () => replica.modelNames(),
      // This thread is off the main thread already: large bodies parse here, not on yet another thread.
      new JsonParsePool(0),
    ),
    metrics,
    metricsText: () => rpc.call('metricsText', undefined),
    requestLog,
  },
  data.options,
);
rpc.onNote('ready', (ready) => frontEnds.setReady(ready));
rpc.handle('listen', async () => ({ value: await frontEnds.listen() }));
rpc.handle('stop', async ({ deadline }) => ({ value: await frontEnds.stop(deadline) }));
rpc.handle('metrics', async () => ({ value: await metrics.registry.getMetricsAsJSON() }));
