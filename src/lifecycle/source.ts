import { EventEmitter } from 'node:events';
import { VersionPolicy } from '../config/model-server-config';
import { ServingError } from '../errors/serving-error';

/**
 * Where versions come from. A Source watches each configured model's base path and emits
 * `aspired` (model name, versions) after every look: the versions the model's policy wants, among
 * those that are complete.
 *
 * Promises every implementation keeps:
 * - A version is emitted only once it is complete: a copy or upload still in progress is never
 *   emitted (each source defines "complete" for its storage and documents it).
 * - `dir` is a local directory holding the whole version for as long as the version stays aspired;
 *   a source that fetches from elsewhere keeps its local copy until the version leaves the set.
 * - A base path that cannot be read emits nothing, so what is serving keeps serving; a readable base
 *   path with no complete version emits an empty list (unload all), as TF Serving does.
 * - A version left out of an emission is one the manager should unload (once something else serves).
 * - A source that can tell why a base path cannot be read emits `status` (model name, error), and
 *   `status` (model name, undefined) once it can be read again; the error reaches GetModelStatus.
 */

/** One model a source watches. */
export interface SourceModel {
  readonly name: string;
  readonly basePath: string;
  readonly versionPolicy: VersionPolicy;
}

/** A version the source wants served: complete, local, and chosen by the model's policy. */
export interface AspiredVersion {
  readonly version: number;
  readonly dir: string;
  /** Changes when the version's content changes; lets a failed version be retried once it is rewritten. */
  readonly fingerprint: string;
}

export interface ModelSource extends EventEmitter {
  /** Replaces the set of watched models (config reload); resolves after one look at each. */
  setModels(models: readonly SourceModel[]): Promise<void>;
  /** Starts periodic looks (polling), per the source's options. */
  start(): void;
  stop(): Promise<void>;
  on(event: 'aspired', listener: (model: string, versions: AspiredVersion[]) => void): this;
  on(event: 'status', listener: (model: string, error: ServingError | undefined) => void): this;
}
