import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import type { Warden } from '../engine.js';

/** A burst of file events (an editor writing a temp file and renaming it) reloads once. */
const SETTLE_MS = 100;

/**
 * Reloads the access rules of a running server, without a restart, on SIGHUP and when the configuration file
 * changes. The whole configuration is read and validated again; only `rules` and `default_rule` take effect (the
 * rest needs a restart, and a reload says so when it changed). A file that is not valid, or rules that conflict,
 * keep the old rules: the log says why. Returns a function that stops watching.
 */
export function reloadRulesOnChange(
  warden: Warden,
  load: () => LoadedConfig,
  file: string | null,
  logger: Logger,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = (why: string) => {
    let loaded: LoadedConfig;
    try {
      loaded = load();
      warden.replaceRules(loaded.config.rules, loaded.config.default_rule);
    } catch (error) {
      logger.error({ reason: why, problem: (error as Error).message }, 'access rules not reloaded: the old rules stay');
      return;
    }
    const { rules, default_rule: _defaultRule, ...rest } = loaded.config;
    const { rules: _oldRules, default_rule: _oldDefault, ...current } = warden.config;
    if (JSON.stringify(rest) !== JSON.stringify(current)) {
      logger.warn({ reason: why }, 'settings other than rules changed: they take effect at the next restart');
    }
    logger.info({ reason: why, rules: rules.length }, 'access rules reloaded');
  };
  const onHangup = () => reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  let watcher: FSWatcher | null = null;
  if (file !== null) {
    try {
      // The directory, not the file: an editor that saves by renaming a new file over the old one replaces the
      // inode a watch on the file would follow.
      const name = basename(file);
      watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => reload('file changed'), SETTLE_MS);
      });
      watcher.on('error', (error) =>
        logger.warn({ err: error }, 'cannot watch the configuration file; SIGHUP reloads'),
      );
    } catch (error) {
      logger.warn({ err: error }, 'cannot watch the configuration file; SIGHUP reloads');
    }
  }
  return () => {
    process.off('SIGHUP', onHangup);
    clearTimeout(timer);
    watcher?.close();
  };
}
