import * as grpc from '@grpc/grpc-js';
import { RunContext } from '../lifecycle/servable';
import { protoRoot } from '../proto/root';

/** How one method's messages cross the wire; the default is protobufjs reflection over our protos. */
export interface MethodCodec<Req, Res> {
  decodeRequest(buf: Buffer): Req;
  encodeResponse(res: Res): Buffer;
}

type Codecs = Record<string, MethodCodec<unknown, unknown>>;

/**
 * A grpc-js service definition for a service declared in proto/, with hand-written codecs for the
 * methods that carry tensors and reflection codecs for the rest.
 */
export function serviceDefinition(fullName: string, overrides: Codecs = {}): grpc.ServiceDefinition {
  const root = protoRoot();
  const service = root.lookupService(fullName);
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const reqType = root.lookupType(method.requestType);
    const resType = root.lookupType(method.responseType);
    const codec = overrides[method.name] ?? {
      decodeRequest: (buf: Buffer) => reqType.decode(buf),
      encodeResponse: (res: unknown) => resType.encode(resType.fromObject(res as Record<string, unknown>)).finish() as Buffer,
    };
    def[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: () => {
        throw new Error('server-side definition: requests are never serialized');
      },
      requestDeserialize: codec.decodeRequest,
      responseSerialize: codec.encodeResponse,
      responseDeserialize: () => {
        throw new Error('server-side definition: responses are never deserialized');
      },
      originalName: method.name,
    };
  }
  return def;
}

/** The deadline and cancellation of a gRPC call, as the servables understand them. */
export function runContext(call: grpc.ServerUnaryCall<unknown, unknown>): RunContext {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  const controller = new AbortController();
  call.once('cancelled', () => controller.abort());
  return { deadlineMs: Number.isFinite(ms) ? ms : undefined, signal: controller.signal };
}

/** Wraps an async handler: its result is the response, anything it throws becomes TF Serving's status. */
export function unary<Req, Res>(
  handler: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
  toStatus: (err: unknown) => Partial<grpc.StatusObject>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let result: Promise<Res>;
    try {
      result = Promise.resolve(handler(call.request, call));
    } catch (err) {
      result = Promise.reject(err);
    }
    // grpc-js reports every call as cancelled when its stream closes, answered or not: once the answer
    // exists, a cancellation has nothing left to stop (and aborting would only cost an exception per call).
    const settle = () => call.removeAllListeners('cancelled');
    result.then(
      (res) => {
        settle();
        callback(null, res);
      },
      (err: unknown) => {
        settle();
        callback(toStatus(err) as grpc.ServerErrorResponse);
      },
    );
  };
}
