import { Servable } from '../../lifecycle/servable';
import { TfLiteSessionOptions } from '../../runtime/tflite/tflite-session';
import { PlatformLoader, VersionToLoad } from '../loader';
import { TfLiteServable } from './tflite-servable';

/** Loads `model.tflite` version folders into TensorFlow Lite interpreter pools. */
export class TfLiteLoader implements PlatformLoader {
  readonly platform = 'tensorflow';

  constructor(private readonly opts: TfLiteSessionOptions) {}

  load(v: VersionToLoad): Promise<Servable> {
    return TfLiteServable.load(v.dir, this.opts);
  }
}
