import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { startTestWarden, type TestWarden, type TestWardenOptions } from './engine.js';

export interface TestApp extends TestWarden {
  app: FastifyInstance;
  /** A bootstrap admin key for the admin API. */
  adminKey: string;
}

export async function startTestApp(dialect: 'sqlite' | 'postgres', options: TestWardenOptions = {}): Promise<TestApp> {
  const test = await startTestWarden(dialect, options);
  const app = buildApp(test.warden);
  await app.ready();
  const admin = await test.warden.keys.create({ subject: 'root', admin: true, subjectType: 'user' }, { actor: 'test' });
  return {
    ...test,
    app,
    adminKey: admin.key,
    async close() {
      await app.close();
      await test.close();
    },
  };
}
