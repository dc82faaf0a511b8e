import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { WardenConfigInput } from '../../src/config/schema.js';
import { type CreateWardenOptions, createWarden, type Warden } from '../../src/engine.js';
import { REDACTED_LOG_PATHS } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/** A pino logger writing into memory, with the production redaction, so tests can read every line. */
export function captureLogger(level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }, stream);
  return { logger, lines };
}

export interface TestWarden {
  warden: Warden;
  database: TestDatabase;
  logLines: string[];
  /** Settable clock (epoch ms) when `frozenClock` was asked for. */
  clock: { now: number };
  close(): Promise<void>;
}

export interface TestWardenOptions extends Omit<CreateWardenOptions, 'config' | 'now' | 'logger'> {
  config?: WardenConfigInput;
  frozenClock?: boolean;
  /** Reuse a database (e.g. a second instance on the same store). */
  database?: TestDatabase;
}

export async function startTestWarden(
  dialect: 'sqlite' | 'postgres',
  options: TestWardenOptions = {},
): Promise<TestWarden> {
  const database = options.database ?? (await createTestDatabase(dialect));
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const { logger, lines } = captureLogger();
  const { frozenClock, database: _ignored, config, ...rest } = options;
  const warden = await createWarden({
    ...rest,
    config: {
      data_dir: database.dataDir,
      ...config,
      database: { url: database.url, ...config?.database },
    },
    logger,
    ...(frozenClock ? { now: () => clock.now } : {}),
  });
  return {
    warden,
    database,
    logLines: lines,
    clock,
    async close() {
      await warden.close();
      if (!options.database) await database.drop();
    },
  };
}
