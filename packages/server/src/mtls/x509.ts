// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** It signs and verifies with WebCrypto: Node's is the provider. Certificates are never hand-written ASN.1. */
x509.cryptoProvider.set(webcrypto as never);

export { x509 };
