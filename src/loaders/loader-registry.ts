import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { PlatformLoader } from './loader';

/**
 * Chooses the loader for a model's `model_platform`. TF Serving's only platform for config files is
 * "tensorflow"; what a version folder holds decides the format within it.
 */
export class LoaderRegistry {
  private readonly loaders = new Map<string, PlatformLoader>();

  register(loader: PlatformLoader): this {
    this.loaders.set(loader.platform, loader);
    return this;
  }

  get(platform: string): PlatformLoader {
    const loader = this.loaders.get(platform);
    if (!loader) throw new ServingError(Code.INVALID_ARGUMENT, `Model platform ${platform} is not supported`);
    return loader;
  }
}
