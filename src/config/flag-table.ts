import { FLAGS, FlagSpec, REFUSED, flagStatus } from './flags';

/**
 * The README's flag table, generated from FLAGS so it cannot drift: `node scripts/flag-table.js`
 * prints it, `--write` puts it into README.md between the two markers, and
 * test/unit/config/flag-table.test.ts fails when the README's copy differs.
 */
export const FLAG_TABLE_BEGIN = '<!-- flag-table:begin (generated from src/config/flags.ts by `node scripts/flag-table.js --write`; do not edit) -->';
export const FLAG_TABLE_END = '<!-- flag-table:end -->';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string): string => '`' + text + '`';

function defaultCell(f: FlagSpec): string {
  if (f.defaultText !== undefined) return f.defaultText;
  return code(f.type === 'string' ? JSON.stringify(f.def) : String(f.def));
}

function statusCell(f: FlagSpec): string {
  switch (flagStatus(f)) {
    case 'acts':
      return f.ignoredValue === undefined ? 'acts' : `acts; ${code(String(f.ignoredValue))} ignored (warning)`;
    case 'ignored':
      return 'accepted, ignored (warning)';
    case 'refused':
      return `refused when ${code(REFUSED[f.name].when)}`;
  }
}

/** The summary line and both tables, as markdown (no markers). */
export function flagTableMarkdown(): string {
  const theirs = FLAGS.filter((f) => f.tfServing);
  const ours = FLAGS.filter((f) => !f.tfServing);
  const count = (s: string) => theirs.filter((f) => flagStatus(f) === s).length;
  const are = (n: number) => `${n} ${n === 1 ? 'is' : 'are'}`;
  const partly = theirs.filter((f) => f.ignoredValue !== undefined).map((f) => code(`--${f.name}=${String(f.ignoredValue)}`));
  const refused = theirs.filter((f) => flagStatus(f) === 'refused').map((f) => code(`--${f.name}=${REFUSED[f.name].when}`));
  const lines = [
    `TF Serving's ${theirs.length} flags: ${count('acts')} act${partly.length ? ` (except ${partly.join(', ')}, ignored)` : ''}, ` +
      `${are(count('ignored'))} accepted and ignored with a warning saying why, and ${are(count('refused'))} refused ` +
      `(${refused.join(', ')} stops the server).`,
    '',
    '| TF Serving flag | default | here | note |',
    '|---|---|---|---|',
    ...theirs.map((f) => `| ${code('--' + f.name)} | ${cell(defaultCell(f))} | ${cell(statusCell(f))} | ${cell(f.note ?? '')} |`),
    '',
    `Flags of ours (${ours.length}), which TF Serving does not have:`,
    '',
    '| flag | default | what it does |',
    '|---|---|---|',
    ...ours.map((f) => `| ${code('--' + f.name)} | ${cell(defaultCell(f))} | ${cell(f.note ?? f.help)} |`),
  ];
  return lines.join('\n');
}

/** `readme` with the text between the markers replaced by the table; throws without both markers. */
export function withFlagTable(readme: string): string {
  const begin = readme.indexOf(FLAG_TABLE_BEGIN);
  const end = readme.indexOf(FLAG_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the markers ${FLAG_TABLE_BEGIN} ... ${FLAG_TABLE_END}`);
  return readme.slice(0, begin + FLAG_TABLE_BEGIN.length) + '\n\n' + flagTableMarkdown() + '\n\n' + readme.slice(end);
}

/** The text between the markers, as withFlagTable writes it; undefined without both markers. */
export function readmeFlagTable(readme: string): string | undefined {
  const begin = readme.indexOf(FLAG_TABLE_BEGIN);
  const end = readme.indexOf(FLAG_TABLE_END);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(begin + FLAG_TABLE_BEGIN.length, end).replace(/^\n\n?/, '').replace(/\n\n?$/, '');
}
