import { ModelConfigOptions, ModelServerConfigOptions } from '../config/model-server-config';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { AspiredVersionsManager } from '../lifecycle/aspired-versions-manager';
import { Servable } from '../lifecycle/servable';
import { ModelSource } from '../lifecycle/source';
import { log } from '../log/logger';

export interface ServerCoreOptions {
  readonly allowVersionLabelsForUnavailableModels: boolean;
  /** Told each config once it is in force (request logging follows it). */
  readonly onConfig?: (config: ModelServerConfigOptions) => void;
}

/**
 * Applies a ModelServerConfig to the running server, at start-up, on a config-file poll and on
 * HandleReloadConfigRequest, with TF Serving's checks and order: validate, install labels, start
 * watching new models and stop watching removed ones, then wait for the new models.
 * Unchanged models are not disturbed.
 */
export class ServerCore {
  private current: ModelServerConfigOptions = { hasModelConfigList: true, models: [] };
  /** Serialises reloads: a second one waits for the first. */
  private applying: Promise<unknown> = Promise.resolve();

  constructor(
    readonly manager: AspiredVersionsManager<Servable>,
    private readonly source: ModelSource,
    private readonly opts: ServerCoreOptions,
  ) {}

  config(): ModelServerConfigOptions {
    return this.current;
  }

  /**
   * Applies `next`; resolves when every newly added model has a version serving or has failed.
   * On the initial config, labels are checked once the models are up: nothing is served before then
   * anyway, and TF Serving's habit of rejecting labels at start-up (its issue #1608) only hurts.
   */
  apply(next: ModelServerConfigOptions, initial = false): Promise<void> {
    const run = this.applying.then(() => this.applyNow(next, initial));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(next: ModelServerConfigOptions, initial: boolean): Promise<void> {
    if (!next.hasModelConfigList) {
      log.info('Taking no action for empty config');
      return;
    }
    const before = new Map(this.current.models.map((m) => [m.name, m]));
    for (const m of next.models) {
      const old = before.get(m.name);
      if (old && old.platform !== m.platform) {
        throw new ServingError(
          Code.FAILED_PRECONDITION,
          `Illegal to change a model's platform. For model ${m.name} platform was ${old.platform} and new platform requested is ${m.platform}`,
        );
      }
    }
    if (!initial) for (const m of next.models) this.checkLabels(m, before.get(m.name));
    this.current = next;
    this.opts.onConfig?.(next);
    if (!initial) for (const m of next.models) this.manager.servables.setLabels(m.name, m.versionLabels);
    const added = next.models.filter((m) => !before.has(m.name)).map((m) => m.name);
    await this.source.setModels(next.models);
    const failures = await this.manager.waitUntilSettled(added);
    if (failures.length > 0) {
      throw new ServingError(
        Code.UNKNOWN,
        `${failures.length} servable(s) did not become available: {${failures.map((f) => `${f}}, `).join('')}}`,
      );
    }
    if (initial) {
      for (const m of next.models) this.checkLabels(m, undefined);
      for (const m of next.models) this.manager.servables.setLabels(m.name, m.versionLabels);
    }
  }

  /**
   * A label may name only a serving version, unless --allow_version_labels_for_unavailable_models is
   * set and the label is new or unchanged (so a label is never moved onto a version still loading).
   */
  private checkLabels(m: ModelConfigOptions, old: ModelConfigOptions | undefined): void {
    const available = new Set(this.manager.servables.availableVersions(m.name));
    for (const [label, version] of m.versionLabels) {
      if (available.has(version)) continue;
      const unchanged = old?.versionLabels.get(label) === version;
      const isNew = !old?.versionLabels.has(label);
      if (this.opts.allowVersionLabelsForUnavailableModels && (isNew || unchanged)) continue;
      throw new ServingError(
        Code.FAILED_PRECONDITION,
        `Request to assign label to version ${version} of model ${m.name}, which is not currently available for inference`,
      );
    }
  }
}
