import { ServableManager } from '../lifecycle/manager';
import { Servable } from '../lifecycle/servable';
import { StateEvent, VersionState } from '../lifecycle/servable-state';
import { ServingMetrics } from '../metrics/serving-metrics';

/** Each version's lifecycle state as a gauge; a failed load reads 0, so `== 0` alerts on it. */
export function observeVersions(servables: ServableManager<Servable>, metrics: ServingMetrics): void {
  servables.on('state', (e: StateEvent) => {
    const value = e.state === VersionState.END && e.error ? 0 : e.state;
    metrics.versionState.set({ model_name: e.name, version: String(e.version) }, value);
  });
}
