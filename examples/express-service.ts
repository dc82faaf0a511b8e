import express from 'express';
import { createWarden, type WardenConfigInput, wardenExpress } from 'warden';

export async function buildInvoicesService(config: WardenConfigInput = {}) {
  const warden = await createWarden({ config });
  const app = express();

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  // Everything under /invoices needs the invoices.read scope; req.principal says who called.
  app.use('/invoices', wardenExpress(warden, { requirements: { scopes: ['invoices.read'] } }));
  app.get('/invoices', (req, res) => {
    res.json({ caller: req.principal?.subject, invoices: [] });
  });
  return { app, warden };
}

declare module 'http' {
  interface IncomingMessage {
    principal?: import('warden').Principal;
  }
}
