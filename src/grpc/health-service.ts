import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, ServingStatus } from 'grpc-health-check';

/**
 * TF Serving registers the short names and the empty (whole-server) name; the full names are ours,
 * kept because probes written against this server already ask for them.
 */
const SERVICES = [
  '',
  'ModelService',
  'PredictionService',
  'tensorflow.serving.ModelService',
  'tensorflow.serving.PredictionService',
];

/**
 * grpc.health.v1.Health (--enable_grpc_healthcheck_service). TF Serving sets SERVING once at start and
 * never changes it; here it follows reality: NOT_SERVING until every configured model has a version
 * serving, and again from the moment shutdown begins.
 */
export class HealthService {
  private readonly impl = new HealthImplementation(Object.fromEntries(SERVICES.map((s) => [s, 'NOT_SERVING' as ServingStatus])));

  addTo(server: grpc.Server): void {
    this.impl.addToServer(server);
  }

  set(serving: boolean): void {
    for (const s of SERVICES) this.impl.setStatus(s, serving ? 'SERVING' : 'NOT_SERVING');
  }
}
