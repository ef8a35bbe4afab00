import * as fs from 'node:fs';

/** One model of a config file: name, base path, and optional extra ModelConfig text (policy, labels). */
export type ModelEntry = readonly [name: string, basePath: string, extra?: string];

/** The text of a ModelServerConfig holding these models (platform "tensorflow"). */
export function modelConfigText(models: readonly ModelEntry[]): string {
  const entries = models.map(([name, basePath, extra]) => `  config { name: "${name}" base_path: "${basePath}" model_platform: "tensorflow"${extra ? ` ${extra}` : ''} }`);
  return `model_config_list {\n${entries.join('\n')}\n}\n`;
}

/** Writes a --model_config_file for these models and returns its path. */
export function writeModelConfig(file: string, models: readonly ModelEntry[]): string {
  fs.writeFileSync(file, modelConfigText(models));
  return file;
}
