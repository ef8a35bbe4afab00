import * as fs from 'node:fs';
import * as path from 'node:path';

/** Our package version, read from package.json next to dist/ or src/. */
export function serverVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
