import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { WardenError } from '../errors/warden-error.js';
import { label } from '../identity/names.js';
import { parseCertificate } from '../mtls/certificate.js';
import { generateCertificate } from '../mtls/generate.js';
import { pemToDer } from '../mtls/pem.js';
import { RemotePinRegistry } from '../mtls/pins/remote-registry.js';
import { spkiToPem } from '../mtls/public-key.js';
import { type PinInput, type PinView, pinInput } from '../mtls/service.js';
import { x509 } from '../mtls/x509.js';
import { collect, configFlags, type StoreOptions, type StoreUse, withEngine, withStoreOptions } from './common.js';
import { parseFlagInput } from './flag-input.js';
import { formatTable, printNote, printResult, runCommand } from './output.js';

const CLI_ACTOR = { actor: 'cli' };

const USES = {
  generate: { command: 'certs generate --pin', mayCreate: true },
  pin: { command: 'certs pin', mayCreate: true },
  unpin: { command: 'certs unpin', mayCreate: false },
  pins: { command: 'certs pins', mayCreate: false },
} as const satisfies Record<string, StoreUse>;

const generateInput = z
  .strictObject({
    organization: label,
    commonName: label.optional(),
    notAfterDays: z.coerce.number().int().min(1).max(36_500),
    caCert: z.string().min(1).optional(),
    caKey: z.string().min(1).optional(),
    publish: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    pin: z.boolean(),
  })
  .superRefine((input, ctx) => {
    if ((input.caCert === undefined) !== (input.caKey === undefined)) {
      const missing = input.caCert === undefined ? 'caCert' : 'caKey';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required with --ca-cert / --ca-key (give both)' });
    }
    if (input.pin && input.publish !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['pin'], message: 'give --pin (the store) or --publish URL, not both' });
    }
  });

interface GenerateOptions extends StoreOptions {
  organization: string;
  commonName?: string;
  out: string;
  notAfterDays: string;
  forceRecreate?: boolean;
  caCert?: string;
  caKey?: string;
  pin?: boolean;
  publish?: string;
}

function describePin(pin: PinView): string {
  const grants: [string, string][] = [
    ['scopes', pin.scopes.join(' ')],
    ['roles', pin.roles.join(', ')],
    ['tenant', pin.tenant ?? ''],
  ];
  return [
    `subject      ${pin.subject}`,
    `spki sha256  ${pin.spkiSha256}`,
    ...grants.filter(([, value]) => value !== '').map(([name, value]) => `${name.padEnd(13)}${value}`),
    `pinned       ${pin.createdAt}`,
  ].join('\n');
}

/** The flags of `certs pin` that are repeated for a list. */
const PIN_LIST_FLAGS = { scopes: '--scope', roles: '--role' };

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new WardenError('invalid_request', `${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** The public key (SPKI PEM) and subject of a PEM certificate file, for `--cert` and an existing client.crt. */
function certificateFile(flag: string, path: string, subjectFrom: 'organization' | 'common_name') {
  const der = pemToDer(readFlagFile(flag, path));
  const parsed = der === null ? null : parseCertificate(der, subjectFrom, null);
  if (der === null || parsed === null || !parsed.ok) {
    throw new WardenError('invalid_request', `${flag}: ${path} is not a PEM certificate`);
  }
  const spki = Buffer.from(new x509.X509Certificate(der).publicKey.rawData);
  return { subject: parsed.facts.subject, publicKeyPem: spkiToPem(spki) };
}

/** PUTs the public key to a remote pin registry: `PUT {url}/{subject}` with `{"public_key": PEM}`. */
async function publish(url: string, subject: string, publicKeyPem: string): Promise<string> {
  const target = new RemotePinRegistry(url, 10_000).urlOf(subject);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: publicKeyPem }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new WardenError('unavailable', `--publish: ${target} did not answer (${(error as Error).name})`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new WardenError('unavailable', `--publish: ${target} answered ${response.status}`);
  return target;
}

export function registerCertsCommands(program: Command): void {
  const certs = program.command('certs').description('client certificates (mTLS) and their pinned public keys');

  withStoreOptions(
    certs
      .command('generate')
      .description('write client.key (mode 0600) and client.crt for an organization; skips when both exist'),
  )
    .requiredOption('--organization <O>', 'the subject Organization (O): the principal and the pin are named after it')
    .option('--common-name <CN>', 'the subject Common Name (CN)')
    .option('--out <dir>', 'directory to write client.key and client.crt into', '.')
    .option('--not-after-days <days>', 'validity in days', '3650')
    .option('--force-recreate', 'replace an existing client.key and client.crt', false)
    .option('--ca-cert <file>', 'sign with this CA certificate (PEM) instead of self-signing')
    .option('--ca-key <file>', 'the private key (PEM) of --ca-cert')
    .option('--pin', "pin the certificate's public key in Warden's store", false)
    .option('--publish <url>', "PUT the certificate's public key to a remote pin registry at <url>/<subject>")
    .action(async (options: GenerateOptions) =>
      runCommand(async () => {
        const input = parseFlagInput(generateInput, {
          organization: options.organization,
          ...(options.commonName !== undefined ? { commonName: options.commonName } : {}),
          notAfterDays: options.notAfterDays,
          ...(options.caCert !== undefined ? { caCert: options.caCert } : {}),
          ...(options.caKey !== undefined ? { caKey: options.caKey } : {}),
          ...(options.publish !== undefined ? { publish: options.publish } : {}),
          pin: Boolean(options.pin),
        });
        const json = Boolean(options.json);
        // The configuration says whether pins are named by O or CN; it is read only when a key is registered.
        const subjectFrom =
          input.pin || input.publish !== undefined
            ? loadConfig(configFlags(options)).config.mtls.subject_from
            : 'organization';
        const subject = subjectFrom === 'organization' ? input.organization : input.commonName;
        if (subject === undefined) {
          throw new WardenError('invalid_request', '--common-name: required, mtls.subject_from is common_name');
        }
        const out = resolve(options.out);
        const keyFile = join(out, 'client.key');
        const certFile = join(out, 'client.crt');
        const existing = [keyFile, certFile].filter((file) => existsSync(file));
        let generated = false;
        let publicKeyPem: string;
        if (existing.length === 2 && !options.forceRecreate) {
          printNote(`${keyFile} and ${certFile} exist: skipped (--force-recreate replaces them)`);
          publicKeyPem = certificateFile('client.crt', certFile, subjectFrom).publicKeyPem;
        } else if (existing.length === 1 && !options.forceRecreate) {
          throw new WardenError(
            'conflict',
            `--out: ${existing[0]} exists without its pair; remove it or pass --force-recreate`,
          );
        } else {
          const created = await generateCertificate({
            organization: input.organization,
            ...(input.commonName !== undefined ? { commonName: input.commonName } : {}),
            notAfterDays: input.notAfterDays,
            ...(input.caCert !== undefined
              ? {
                  ca: {
                    certificatePem: readFlagFile('--ca-cert', input.caCert),
                    keyPem: readFlagFile('--ca-key', input.caKey!),
                  },
                }
              : {}),
          });
          mkdirSync(out, { recursive: true });
          writeFileSync(keyFile, created.keyPem, { mode: 0o600 });
          chmodSync(keyFile, 0o600); // an existing file keeps its mode on write
          writeFileSync(certFile, created.certificatePem, { mode: 0o644 });
          publicKeyPem = created.publicKeyPem;
          generated = true;
        }
        let pinned: PinView | null = null;
        let published: string | null = null;
        if (input.pin) {
          const { database: _database, ...pin } = await withEngine(options, USES.generate, (warden) =>
            warden.pins.pin({ subject, publicKey: publicKeyPem }, CLI_ACTOR),
          );
          pinned = pin;
        }
        if (input.publish !== undefined) published = await publish(input.publish, subject, publicKeyPem);
        const answer = {
          generated,
          key: keyFile,
          certificate: certFile,
          subject,
          publicKey: publicKeyPem,
          pinned,
          published,
        };
        printResult(json, answer, () =>
          [
            generated ? `wrote ${keyFile} (mode 0600) and ${certFile}` : `kept ${keyFile} and ${certFile}`,
            ...(pinned ? [`pinned the public key for ${subject}`, describePin(pinned)] : []),
            ...(published ? [`published the public key to ${published}`] : []),
          ].join('\n'),
        );
      }, Boolean(options.json)),
    );

  withStoreOptions(
    certs.command('pin').description("pin a public key for a certificate subject (replaces the subject's pin)"),
  )
    .option('--cert <file>', 'a PEM certificate: its public key, and its subject unless --subject is given')
    .option('--public-key <file>', 'a PEM public key (or base64 SPKI) file')
    .option('--subject <subject>', 'the subject (Organization, or CN with mtls.subject_from: common_name)')
    .option('--scope <scope>', 'a scope its certificates hold (repeatable)', collect, [])
    .option('--role <role>', 'a role its certificates hold (repeatable)', collect, [])
    .option('--tenant <tenant>', 'the tenant its certificates belong to')
    .action(
      async (
        options: StoreOptions & {
          cert?: string;
          publicKey?: string;
          subject?: string;
          scope: string[];
          role: string[];
          tenant?: string;
        },
      ) =>
        runCommand(async () => {
          if ((options.cert === undefined) === (options.publicKey === undefined)) {
            throw new WardenError('invalid_request', '--cert / --public-key: give exactly one');
          }
          const subjectFrom = loadConfig(configFlags(options)).config.mtls.subject_from;
          const fromCert = options.cert !== undefined ? certificateFile('--cert', options.cert, subjectFrom) : null;
          const subject = options.subject ?? fromCert?.subject ?? undefined;
          if (subject === undefined || subject === null) {
            throw new WardenError('invalid_request', '--subject: required (the certificate names no usable subject)');
          }
          const publicKey = fromCert?.publicKeyPem ?? readFlagFile('--public-key', options.publicKey!);
          const input: PinInput = {
            subject,
            publicKey,
            scopes: options.scope,
            roles: options.role,
            ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
          };
          parseFlagInput(pinInput, input, PIN_LIST_FLAGS);
          const pin = await withEngine(options, USES.pin, (warden) => warden.pins.pin(input, CLI_ACTOR));
          printResult(Boolean(options.json), pin, () => describePin(pin));
        }, Boolean(options.json)),
    );

  withStoreOptions(
    certs.command('unpin').argument('<subject>', 'the subject').description('remove the pinned key of a subject'),
  ).action(async (subject: string, options: StoreOptions) =>
    runCommand(async () => {
      const answer = await withEngine(options, USES.unpin, (warden) => warden.pins.unpin(subject, CLI_ACTOR));
      printResult(Boolean(options.json), answer, () => `unpinned ${answer.subject}`);
    }, Boolean(options.json)),
  );

  withStoreOptions(certs.command('pins').description('list pinned public keys')).action(async (options: StoreOptions) =>
    runCommand(async () => {
      const answer = await withEngine(options, USES.pins, async (warden) => ({ items: await warden.pins.list() }));
      printResult(Boolean(options.json), answer, () =>
        answer.items.length === 0
          ? `no pins in ${answer.database}`
          : formatTable(
              ['SUBJECT', 'SPKI SHA-256', 'PINNED'],
              answer.items.map((pin) => [pin.subject, pin.spkiSha256, pin.createdAt]),
            ),
      );
    }, Boolean(options.json)),
  );
}
