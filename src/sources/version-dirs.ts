import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Numbered version folders under a model's base path. A version is a direct child folder whose name
 * is a non-negative integer, leading zeros allowed (`00000123` is version 123); anything else
 * (`tmp`, `3.partial`, `.4`) is ignored, which is what makes copy-then-rename updates safe.
 */
export interface VersionDir {
  readonly version: number;
  readonly dir: string;
}

const VERSION_NAME = /^\d+$/;

export async function scanVersionDirs(basePath: string): Promise<VersionDir[]> {
  const entries = await fs.readdir(basePath, { withFileTypes: true });
  const found = new Map<number, VersionDir>();
  for (const e of entries) {
    if (!VERSION_NAME.test(e.name)) continue;
    const version = Number(e.name);
    if (!Number.isSafeInteger(version)) continue;
    const dir = path.join(basePath, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(dir).catch(() => undefined))?.isDirectory());
    if (isDir) found.set(version, { version, dir });
  }
  return [...found.values()].sort((a, b) => a.version - b.version);
}
