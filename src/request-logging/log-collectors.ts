import { ModelConfigOptions } from '../config/model-server-config';
import { Code } from '../errors/status-code';
import { FileLogCollector, FileLogCollectorOptions } from './file-log-collector';
import { RequestLogSink } from './request-log-sink';

/**
 * The file side of request logging, owned by the main thread: one FileLogCollector per
 * filename_prefix (models sharing a prefix share its files, so two writers never race on one name),
 * and records routed to it by model name. A reload keeps the collector of an unchanged prefix (its
 * file stays open) and closes, after writing what it holds, the collector of a prefix no model uses.
 */
export class LogCollectors implements RequestLogSink {
  private byPrefix = new Map<string, FileLogCollector>();
  private byModel = new Map<string, FileLogCollector>();
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly opts: FileLogCollectorOptions) {}

  update(models: ReadonlyArray<Pick<ModelConfigOptions, 'name' | 'logging'>>): void {
    const byPrefix = new Map<string, FileLogCollector>();
    const byModel = new Map<string, FileLogCollector>();
    for (const m of models) {
      if (!m.logging) continue;
      const prefix = m.logging.filenamePrefix;
      const collector = byPrefix.get(prefix) ?? this.byPrefix.get(prefix) ?? new FileLogCollector(prefix, this.opts);
      byPrefix.set(prefix, collector);
      byModel.set(m.name, collector);
    }
    for (const [prefix, collector] of this.byPrefix) if (!byPrefix.has(prefix)) this.retire(collector);
    this.byPrefix = byPrefix;
    this.byModel = byModel;
  }

  append(model: string, record: Uint8Array): void {
    const collector = this.byModel.get(model);
    // A record produced just before a reload removed the model's logging (possible from another thread).
    if (collector) collector.append(model, record);
    else this.opts.counters.dropped(model, Code.NOT_FOUND);
  }

  /** Writes everything queued and closes every file. */
  async close(): Promise<void> {
    for (const collector of this.byPrefix.values()) this.retire(collector);
    this.byPrefix = new Map();
    this.byModel = new Map();
    await Promise.all(this.closing);
  }

  private retire(collector: FileLogCollector): void {
    const closed = collector.close();
    this.closing.add(closed);
    void closed.finally(() => this.closing.delete(closed));
  }
}
