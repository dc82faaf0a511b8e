import { type ConfigField, configFields } from './fields.js';
import { CONFIG_FILE_OPTION, SINGLE_KEY_OPTION } from './schema.js';

/** Where the generated reference lives, from the repository root; `npm run docs:config` writes it. */
export const CONFIG_DOCS_PATH = 'docs/configuration.md';
export const CONFIG_DOCS_COMMAND = 'npm run docs:config';

const code = (text: string) => `\`${text}\``;
/** A table cell: one line, no column separator. */
const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');

function row(cells: string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function defaultCell(field: ConfigField): string {
  if (field.required) return '(required)';
  return field.defaultText ?? 'none';
}

/** The parent of a key: the section (or the map entry, `<key>`) whose table lists it. */
const parentOf = (path: string) => path.split('.').slice(0, -1).join('.');

/** The reference of every configuration key, generated from the schema: docs/configuration.md. */
export function configurationMarkdown(): string {
  const fields = configFields();
  const byPath = new Map(fields.map((field) => [field.path, field]));
  const missing = fields.filter((field) => !field.description).map((field) => field.path);
  if (missing.length > 0) throw new Error(`configuration keys without a description: ${missing.join(', ')}`);

  const groups = new Map<string, ConfigField[]>();
  for (const field of fields) {
    if (field.section) {
      if (!groups.has(field.path)) groups.set(field.path, []);
      continue;
    }
    const parent = parentOf(field.path);
    groups.set(parent, [...(groups.get(parent) ?? []), field]);
  }

  const lines = [
    `<!-- Generated from packages/server/src/config/schema.ts by \`${CONFIG_DOCS_COMMAND}\`; edit the schema, not this file. -->`,
    '',
    '# Configuration reference',
    '',
    `Warden reads \`warden.yaml\` in the working directory (or the file named by \`${CONFIG_FILE_OPTION.flag}\` / \`${CONFIG_FILE_OPTION.env}\`),`,
    'then the environment variables below, then the flags below: each overrides the one before. Strings in the file',
    'may use `${VAR}` or `${VAR:-default}`; a variable that is not set is an error naming it. Unknown keys are errors.',
    '`warden config check` validates the configuration, reporting every problem with its path, and prints the',
    'result with secrets as `[redacted]`; it refuses a configuration whose SQLite store or data directory does not',
    'exist (it never contacts PostgreSQL). An unknown `WARDEN_*` variable is a warning with a did-you-mean.',
    '',
    'A duration is a number of milliseconds or a string like `500ms`, `30s`, `5m`, `1h`, `90d` or `2w`. An integer',
    'may also be a string of digits (`port: ${PORT:-8080}`). The flags are those of `warden serve`; every command',
    'that touches the store accepts `--config`, `--data-dir` and `--database`.',
    '',
    '## Options that are not keys',
    '',
    row(['Flag', 'Environment', 'Description']),
    row(['---', '---', '---']),
    ...[CONFIG_FILE_OPTION, SINGLE_KEY_OPTION].map((option) =>
      row([code(option.flag), code(option.env), option.description]),
    ),
  ];

  for (const [parent, rows] of groups) {
    const section = byPath.get(parent);
    lines.push('', `## ${parent === '' ? 'Top level' : code(parent)}`, '');
    if (section?.description) lines.push(section.description, '');
    else if (parent.endsWith('.<key>')) lines.push(`Each entry of ${code(parentOf(parent))}.`, '');
    if (rows.length === 0) {
      lines.push('Its keys are in the sections below.');
      continue;
    }
    lines.push(row(['Key', 'Type', 'Default', 'Environment', 'Flag', 'Description']));
    lines.push(row(['---', '---', '---', '---', '---', '---']));
    for (const field of rows) {
      lines.push(
        row([
          code(field.path),
          field.type,
          defaultCell(field),
          field.env ? code(field.env) : '',
          field.flag ? code(field.flag) : '',
          field.description!,
        ]),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
