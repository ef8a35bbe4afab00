import { Servable } from '../../lifecycle/servable';
import { PlatformLoader, VersionToLoad } from '../loader';
import { TensorFlowRuntime } from '../../runtime/tensorflow/tensorflow-runtime';
import { SavedModelServable } from './saved-model-servable';

/** Loads SavedModel version folders (`saved_model.pb`) into TensorFlow sessions. */
export class SavedModelLoader implements PlatformLoader {
  readonly platform = 'tensorflow';

  constructor(
    private readonly tags: string[],
    private readonly runtime: TensorFlowRuntime,
  ) {}

  load(v: VersionToLoad): Promise<Servable> {
    return SavedModelServable.load(v.dir, this.tags, this.runtime);
  }
}
