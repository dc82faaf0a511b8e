import { WardenError } from '../errors/warden-error.js';

/**
 * A configuration problem (`config_invalid`): the CLI prints the message and exits 2; `serve` refuses to start.
 * `problems` lists each one with its config path.
 */
export class ConfigError extends WardenError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super('config_invalid', message, { details: { problems } });
  }
}
