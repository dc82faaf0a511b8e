import { type Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerCertsCommands } from './certs.js';
import { registerClientsCommands } from './clients.js';
import { WardenCommand } from './command.js';
import { registerConfigCommands } from './config.js';
import { registerKeysCommands } from './keys.js';
import { registerMigrateCommand } from './migrate.js';
import { runCommand } from './output.js';
import { registerRulesCommands } from './rules.js';
import { registerServeCommand } from './serve.js';
import { registerSigningKeysCommands } from './signing-keys.js';
import { registerTokenCommands } from './token.js';

/** The `warden` command line. Exit codes: 0 success, 1 a negative answer, 2 a usage or configuration error. */
export function buildProgram(): Command {
  // A WardenCommand and its subcommands report an unknown option (with a did-you-mean) before a missing one.
  const program = new WardenCommand('warden')
    .description('Warden: authentication and authorization for microservices')
    .version(VERSION, '--version', 'print the version')
    .showHelpAfterError()
    .showSuggestionAfterError()
    .exitOverride();
  registerServeCommand(program);
  registerMigrateCommand(program);
  registerConfigCommands(program);
  registerKeysCommands(program);
  registerSigningKeysCommands(program);
  registerClientsCommands(program);
  registerCertsCommands(program);
  registerRulesCommands(program);
  registerTokenCommands(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every other parse failure is a usage error.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    await runCommand(async () => {
      throw error;
    }, false);
  }
}

await main(process.argv);
