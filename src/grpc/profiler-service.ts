import * as grpc from '@grpc/grpc-js';
import { unimplemented } from '../errors/serving-error';
import { captureProfile, terminateProfile } from '../runtime/tensorflow/profiler';
import { toGrpcStatus } from './grpc-status';
import { runContext, serviceDefinition, unary } from './service-definition';

interface ProfileRequestMessage {
  duration_ms?: { toString(): string } | number;
  opts?: Uint8Array;
  repository_root?: string;
  session_id?: string;
  host_name?: string;
  emit_xspace?: boolean;
}

/**
 * tensorflow.ProfilerService on the gRPC port (--enable_profiler, on by default), so TensorFlow's
 * profiler client and TensorBoard's "capture profile" work against the server as against TF Serving.
 */
export function profilerService(): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  return {
    definition: serviceDefinition('tensorflow.ProfilerService'),
    implementation: {
      Profile: unary(async (req: ProfileRequestMessage, call) => {
        const { emptyTrace, xspace } = await captureProfile(
          {
            options: req.opts ?? new Uint8Array(0),
            durationMs: Number(req.duration_ms?.toString() ?? 0),
            repositoryRoot: req.repository_root ?? '',
            sessionId: req.session_id ?? '',
            hostName: req.host_name ?? '',
            emitXspace: req.emit_xspace ?? false,
          },
          runContext(call).signal,
        );
        return xspace ? { empty_trace: emptyTrace, xspace } : { empty_trace: emptyTrace };
      }, toGrpcStatus),
      Terminate: unary((req: { session_id?: string }) => {
        terminateProfile(req.session_id ?? '');
        return {};
      }, toGrpcStatus),
      Monitor: unary(() => {
        throw unimplemented('unimplemented.');
      }, toGrpcStatus),
    },
  };
}
