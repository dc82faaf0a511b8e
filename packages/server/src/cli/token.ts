import type { Command } from 'commander';

/** `warden token ...`: outbound credentials from the SDK's credential manager (issue 3 fills this in). */
export function registerTokenCommands(_program: Command): void {}
