import { Servable } from '../../lifecycle/servable';
import { PlatformLoader, VersionToLoad } from '../loader';
import { SavedModelServable } from './saved-model-servable';

/** Loads SavedModel version folders (`saved_model.pb`) into TensorFlow sessions. */
export class SavedModelLoader implements PlatformLoader {
  readonly platform = 'tensorflow';

  constructor(private readonly tags: string[]) {}

  load(v: VersionToLoad): Promise<Servable> {
    return SavedModelServable.load(v.dir, this.tags);
  }
}
