import { Servable } from '../lifecycle/servable';

/**
 * How one version becomes servable, per platform (TF Serving's Loader). A loader is cheap to hold;
 * all work happens in `load`.
 *
 * Promises every implementation keeps:
 * - `load` resolves only with a servable that can run requests; a failed load has freed everything
 *   it took (sessions, threads, native memory) before it rejects, with the platform's own message.
 * - The servable's `unload` frees everything the version holds; it is called once, after the last
 *   request has released the version.
 */
export interface VersionToLoad {
  readonly modelName: string;
  readonly version: number;
  /** Local directory holding the whole version (a source's promise). */
  readonly dir: string;
}

export interface PlatformLoader {
  /** `model_platform` value this loader answers to (e.g. "tensorflow"). */
  readonly platform: string;
  load(v: VersionToLoad): Promise<Servable>;
}
