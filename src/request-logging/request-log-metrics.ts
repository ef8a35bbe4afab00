import { Counter, Registry } from 'prom-client';
import { Code, codeName } from '../errors/status-code';
import { LogCounters } from './file-log-collector';

/**
 * Request-log counters, on the server's Prometheus page:
 * - `:tensorflow:serving:request_log_count{model_name, status_code}`, TF Serving's own metric
 *   (/tensorflow/serving/request_log_count): OK for each record written to a file; a dropped record
 *   counts under the reason's code (RESOURCE_EXHAUSTED for a full queue or disk, PERMISSION_DENIED, ...).
 * - `:tensorflow:serving:request_log_dropped_count{model_name}` (ours): every record dropped, whatever
 *   the reason, for one alert.
 */
export class RequestLogMetrics implements LogCounters {
  private readonly count: Counter<'model_name' | 'status_code'>;
  private readonly droppedCount: Counter<'model_name'>;

  constructor(registry: Registry) {
    this.count = new Counter({
      name: ':tensorflow:serving:request_log_count',
      help: 'The total number of requests logged from the model server sliced down by model_name and status code.',
      labelNames: ['model_name', 'status_code'],
      registers: [registry],
    });
    this.droppedCount = new Counter({
      name: ':tensorflow:serving:request_log_dropped_count',
      help: 'Request log records dropped (queue full, disk full or unwritable) instead of delaying or failing requests.',
      labelNames: ['model_name'],
      registers: [registry],
    });
  }

  logged(model: string): void {
    this.count.inc({ model_name: model, status_code: 'OK' });
  }

  dropped(model: string, code: Code): void {
    this.count.inc({ model_name: model, status_code: codeName(code) });
    this.droppedCount.inc({ model_name: model });
  }
}
