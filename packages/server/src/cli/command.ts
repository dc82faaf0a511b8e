import { didYouMean } from '@warden/sdk';
import { Command, type ErrorOptions, type ParseOptionsResult } from 'commander';

/** commander's default help flags: a request for help wins over every usage error, as in commander itself. */
const HELP_FLAGS = new Set(['-h', '--help']);

/** The long flags `command` accepts: its own and, as commander parses them anywhere, its ancestors'. */
function knownLongFlags(command: Command): string[] {
  const flags: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) {
    for (const option of current.createHelp().visibleOptions(current)) if (option.long) flags.push(option.long);
  }
  return flags;
}

/**
 * A commander Command that reports an unknown option before anything else it would say about the command line.
 * commander checks for missing mandatory options first, so `keys create --subjet x` would answer "required option
 * '--subject' not specified", hiding the typo; here it answers "unknown option '--subjet' (did you mean --subject?)".
 * Subcommands made with `.command()` are WardenCommands too, so the rule holds for every command (none of them
 * allows unknown options; one that did would need this check skipped).
 */
export class WardenCommand extends Command {
  override createCommand(name?: string): Command {
    return new WardenCommand(name);
  }

  override parseOptions(argv: string[]): ParseOptionsResult {
    const parsed = super.parseOptions(argv);
    const [unknown] = parsed.unknown;
    // Only a command without subcommands: one with subcommands passes unknown options on to them, and has no
    // mandatory option of its own to hide its unknown ones.
    const isLeaf = this.commands.length === 0;
    if (unknown !== undefined && isLeaf && !parsed.unknown.some((arg) => HELP_FLAGS.has(arg))) {
      this.error(unknownOptionMessage(this, unknown), { code: 'commander.unknownOption' });
    }
    return parsed;
  }

  /**
   * A problem with one option is worded as every other flag problem is: `--status: must be one of active, revoked,
   * expired`, `--port: needs a value`, `--subject: is required` (see REWORDINGS).
   */
  override error(message: string, errorOptions?: ErrorOptions): never {
    const rewording = errorOptions?.code === undefined ? undefined : REWORDINGS[errorOptions.code];
    const match = rewording?.[0].exec(message);
    return super.error(match ? `error: ${rewording![1](match[1]!, match[2] ?? '')}` : message, errorOptions);
  }
}

/**
 * commander's usage errors about one option, by code: its words, and the same reworded as every other flag problem
 * (`--flag: what is wrong`). The value is never echoed: a mistyped value may be a pasted secret.
 */
const REWORDINGS: Record<string, [RegExp, (flag: string, detail: string) => string]> = {
  'commander.invalidArgument': [
    /^error: option '(--[\w-]+)[^']*' argument '.*' is invalid\. Allowed choices are (.+)\.$/s,
    (flag, choices) => `${flag}: must be one of ${choices}`,
  ],
  'commander.optionMissingArgument': [
    /^error: option '(--[\w-]+)[^']*' argument missing$/,
    (flag) => `${flag}: needs a value`,
  ],
  'commander.missingMandatoryOptionValue': [
    /^error: required option '(--[\w-]+)[^']*' not specified$/,
    (flag) => `${flag}: is required`,
  ],
};

function unknownOptionMessage(command: Command, arg: string): string {
  // `--subjet=x` is the flag `--subjet` with a value.
  const flag = arg.startsWith('--') ? arg.split('=')[0]! : arg;
  const guess = flag.startsWith('--') ? didYouMean(flag, knownLongFlags(command)) : null;
  // Worded as commander words its other usage errors (`unknown command 'x'`), the suggestion on the same line.
  return `error: unknown option '${flag}'${guess ? ` (did you mean ${guess}?)` : ''}`;
}
