import { EventEmitter } from 'node:events';
import { ServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { log } from '../log/logger';
import { FileSystemSource } from './filesystem-source';
import { ObjectStoreSource } from './object-store-source';
import { isObjectStoreUri } from './object-store-uri';
import { ModelSource, SourceModel } from '../lifecycle/source';

export interface SourceRouterOptions {
  readonly pollWaitSeconds: number;
  readonly settleMs: number;
}

/** tensorflow::io::ParseURI's scheme, as config validation reads it. */
const URI_SCHEME = /^([a-zA-Z][0-9a-zA-Z.]*):\/\//;

type Route = 'files' | 'objects' | 'unsupported';

function routeOf(basePath: string): Route {
  if (isObjectStoreUri(basePath)) return 'objects';
  return URI_SCHEME.test(basePath) ? 'unsupported' : 'files';
}

/**
 * The server's one source: sends each model to the file-system source or the object-store source by
 * its base path's scheme (`gs://`, `s3://` or a local path) and passes on what they emit. A model
 * whose base path moves from one kind to the other on a config reload is not unloaded in between:
 * the source it left is not listened to for it. Other schemes (`hdfs://`) are logged as TensorFlow
 * reports them and emit nothing.
 */
export class SourceRouter extends EventEmitter implements ModelSource {
  private readonly files: FileSystemSource;
  private readonly objects: ObjectStoreSource;
  /** Which source speaks for each model now. */
  private owner = new Map<string, Route>();

  constructor(opts: SourceRouterOptions) {
    super();
    this.files = new FileSystemSource(opts);
    this.objects = new ObjectStoreSource(opts);
    for (const [route, source] of [['files', this.files], ['objects', this.objects]] as const) {
      source.on('aspired', (name: string, versions) => {
        // A removed model (no owner) is unloaded by the source that had it.
        if ((this.owner.get(name) ?? route) === route) this.emit('aspired', name, versions);
      });
      source.on('status', (name: string, error: ServingError | undefined) => {
        if ((this.owner.get(name) ?? route) === route) this.emit('status', name, error);
      });
    }
  }

  async setModels(models: readonly SourceModel[]): Promise<void> {
    this.owner = new Map(models.map((m) => [m.name, routeOf(m.basePath)]));
    for (const m of models) {
      if (this.owner.get(m.name) !== 'unsupported') continue;
      const scheme = URI_SCHEME.exec(m.basePath)?.[1] ?? '';
      const message = `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${m.basePath} for servable ${m.name} with error UNIMPLEMENTED: File system scheme '${scheme}' not implemented (file: '${m.basePath}')`;
      log.error(message);
      this.emit('status', m.name, new ServingError(Code.UNIMPLEMENTED, message));
    }
    await Promise.all([
      this.files.setModels(models.filter((m) => this.owner.get(m.name) === 'files')),
      this.objects.setModels(models.filter((m) => this.owner.get(m.name) === 'objects')),
    ]);
  }

  start(): void {
    this.files.start();
    this.objects.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.files.stop(), this.objects.stop()]);
  }
}
