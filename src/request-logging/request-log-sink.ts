/**
 * Where serialized PredictionLog records go. The request path (which may run on a front-end thread)
 * only ever sees this interface: on the main thread it is the file collectors themselves
 * (LogCollectors), on another thread it can post the bytes to them. Implementations must return at
 * once, never throw, and never wait for a disk.
 */
export interface RequestLogSink {
  /** One record of model `modelName`: a serialized tensorflow.serving.PredictionLog, not yet framed. */
  append(modelName: string, record: Uint8Array): void;
}
