import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { ModelServerConfigOptions, ModelServerConfigProto, validateModelServerConfig } from '../config/model-server-config';
import { TEXT_PROTO_TO_OBJECT_OPTIONS } from '../config/text-proto';
import { invalidArgument } from '../errors/serving-error';
import { codeName } from '../errors/status-code';
import { getModelStatus } from '../inference/model-status';
import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { VersionState, VersionStatus } from '../lifecycle/servable-state';
import { toGrpcStatus } from './grpc-status';
import { modelSpecFromMessage } from '../apis/model-spec-codec';
import { protoType } from '../proto/root';
import { serviceDefinition, unary } from './service-definition';

/** ModelVersionStatus as protobufjs' fromObject takes it; defaults are left unset so bytes match C++. */
function statusMessage(s: VersionStatus): Record<string, unknown> {
  const status: Record<string, unknown> = {};
  if (s.error) {
    status.error_code = codeName(s.error.code);
    status.error_message = s.error.message;
  }
  return { version: s.version, state: VersionState[s.state], status };
}

/** Whatever applies a new model config to the running server (the server core). */
export interface ConfigApplier {
  apply(next: ModelServerConfigOptions): Promise<void>;
}

/**
 * HandleReloadConfigRequest: the new ModelServerConfig replaces the running one (models added, removed
 * and changed), with the same checks as the config file; it answers once the new models are up.
 */
async function reloadConfig(core: ConfigApplier, metrics: MetricReader, req: ReloadConfigRequest): Promise<object> {
  const type = protoType('tensorflow.serving.ModelServerConfig');
  const config = (req.config ? type.toObject(req.config, TEXT_PROTO_TO_OBJECT_OPTIONS) : {}) as ModelServerConfigProto;
  const names = [...new Set(req.metric_names ?? [])];
  const before = await Promise.all(names.map((n) => metrics.int64Value(n)));
  if (config.custom_model_config) {
    throw invalidArgument(
      'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported',
    );
  }
  await core.apply(validateModelServerConfig(config));
  const after = await Promise.all(names.map((n) => metrics.int64Value(n)));
  // Each requested metric's increase over the reload, as TF Serving reports it (0 for unknown names).
  const metric = names.map((name, i) => ({ name, int64_value_increase: after[i] - before[i] }));
  return { status: {}, metric };
}

/** Reads a metric by its TensorFlow name (ServingMetrics.int64Value). */
export interface MetricReader {
  int64Value(tfName: string): Promise<number>;
}

interface ReloadConfigRequest {
  config?: protobuf.Message;
  metric_names?: string[];
}

/** ModelService: model status and config reload. */
export function modelService(manager: ServableManager<Servable>, core: ConfigApplier, metrics: MetricReader): {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
} {
  return {
    definition: serviceDefinition('tensorflow.serving.ModelService'),
    implementation: {
      GetModelStatus: unary((req: { model_spec?: unknown }) => {
        const statuses = getModelStatus(manager, modelSpecFromMessage(req.model_spec));
        return { model_version_status: statuses.map(statusMessage) };
      }, toGrpcStatus),
      HandleReloadConfigRequest: unary((req: ReloadConfigRequest) => reloadConfig(core, metrics, req), toGrpcStatus),
    },
  };
}
