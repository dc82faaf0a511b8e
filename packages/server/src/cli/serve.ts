import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ConfigFlags } from '../config/load.js';
import { loadConfig } from '../config/load.js';
import { SINGLE_KEY_OPTION } from '../config/schema.js';
import { createWarden, type Warden } from '../engine.js';
import type { IssuedKey } from '../keys/service.js';
import { createLogger } from '../observability/logger.js';
import { configFileOption, configOption } from './common.js';
import { runCommand } from './output.js';
import { reloadRulesOnChange } from './rules-reload.js';

interface ServeOptions {
  config?: string;
  dataDir?: string;
  database?: string;
  host?: string;
  port?: string;
  apiKey?: string;
  workers?: string;
  logLevel?: string;
}

function flagsOf(options: ServeOptions): ConfigFlags {
  const flags: ConfigFlags = {};
  for (const name of ['config', 'dataDir', 'database', 'host', 'port', 'apiKey', 'workers', 'logLevel'] as const) {
    if (options[name] !== undefined) flags[name] = options[name];
  }
  return flags;
}

/** Printed once, on the first start of a deployment: the only time this key is ever shown. */
function announceBootstrapKey(issued: IssuedKey, baseUrl: string): void {
  process.stdout.write(
    [
      '',
      'Warden created a bootstrap admin API key. It is shown this once; store it now.',
      '',
      `  ${issued.key}`,
      '',
      'Try it:',
      `  curl -i -H "Authorization: Bearer ${issued.key}" ${baseUrl}/v1/decide`,
      `  curl -s -H "Authorization: Bearer ${issued.key}" -H 'content-type: application/json' \\`,
      `       -d '{"subject":"orders-svc","scopes":["orders.read"]}' ${baseUrl}/v1/admin/keys`,
      '',
    ].join('\n'),
  );
}

async function listen(warden: Warden): Promise<() => Promise<void>> {
  // Loaded here, not at the top: only `serve` needs Fastify, and the other commands start faster without it.
  const { buildApp } = await import('../http/app.js');
  const app = buildApp(warden);
  await app.listen({ host: warden.config.server.host, port: warden.config.server.port });
  return async () => {
    await app.close();
    await warden.close();
  };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM stops the server: one line says so, then exit 0 once it has stopped (1 if stopping
 * failed). A second signal while stopping is ignored: `npm start` passes on the Ctrl-C its child received too.
 * Workers stop without a word: the primary, which received the same signal, speaks for them.
 */
function onSignals(stop: () => Promise<void>, logger: Logger, announce = true): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      if (announce) logger.info({ signal }, `received ${signal}, stopping`);
      stop().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stopping failed');
          process.exit(1);
        },
      );
    });
  }
}

/** Stops the workers and waits until every one has exited. */
async function stopWorkers(): Promise<void> {
  // A worker that exits now has been told to: it is not replaced.
  cluster.removeAllListeners('exit');
  const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.kill('SIGTERM');
        }),
    ),
  );
}

async function serve(options: ServeOptions): Promise<void> {
  const { config, warnings, file } = loadConfig(flagsOf(options));
  const reloadRules = (warden: Warden) => reloadRulesOnChange(warden, () => loadConfig(flagsOf(options)), file, logger);
  const logger = createLogger(config.log.level);
  // Workers load the same configuration: the primary has already said what is wrong with it.
  if (!cluster.isWorker) for (const warning of warnings) logger.warn(warning);
  const baseUrl = `${config.server.tls ? 'https' : 'http'}://${config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host}:${config.server.port}`;

  if (cluster.isWorker) {
    // The primary migrated and bootstrapped; workers only serve.
    const warden = await createWarden({ config, logger, migrate: false, processMetrics: true });
    reloadRules(warden);
    onSignals(await listen(warden), logger, false);
    return;
  }

  const warden = await createWarden({ config, logger, processMetrics: true });
  const bootstrap = await warden.bootstrapAdminKey();
  if (bootstrap) announceBootstrapKey(bootstrap, baseUrl);

  if (config.server.workers > 1) {
    await warden.close();
    for (let i = 0; i < config.server.workers; i++) cluster.fork();
    cluster.on('exit', (worker, code) => {
      logger.error({ worker: worker.id, code }, 'worker exited; starting a new one');
      cluster.fork();
    });
    onSignals(stopWorkers, logger);
    // Each worker watches the file itself; a SIGHUP sent to the primary is passed on to them.
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });
    logger.info(
      { url: baseUrl, workers: config.server.workers, database: warden.database.location },
      'Warden listening',
    );
    return;
  }

  reloadRules(warden);
  onSignals(await listen(warden), logger);
  logger.info({ url: baseUrl, database: warden.database.location }, 'Warden listening');
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the Warden service')
    .addOption(configFileOption())
    .addOption(configOption('data_dir', 'dir', 'data directory'))
    .addOption(configOption('database.url', 'url', 'sqlite:<path> or postgres://...'))
    .addOption(configOption('server.host', 'host', 'listen address'))
    .addOption(configOption('server.port', 'port', 'listen port'))
    .option(
      `${SINGLE_KEY_OPTION.flag} <key>`,
      `single-key mode: accept this key as the admin key (env ${SINGLE_KEY_OPTION.env})`,
    )
    .addOption(configOption('server.workers', 'n', 'worker processes sharing the port'))
    .addOption(configOption('log.level', 'level', 'fatal|error|warn|info|debug|trace|silent'))
    .action(async (options: ServeOptions) => runCommand(() => serve(options), false));
}
