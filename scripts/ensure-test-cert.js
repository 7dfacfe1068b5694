#!/usr/bin/env node
/*
 * Creates the ARM emulator's test PKI if it is missing (or about to expire):
 *   .emulator-certs/ca.pem          self-signed test CA (trust it with NODE_EXTRA_CA_CERTS)
 *   .emulator-certs/server.pem      server certificate for localhost / 127.0.0.1 / ::1, signed by the CA
 *   .emulator-certs/server-key.pem  its private key
 *
 * ECDSA P-256 certificates from `selfsigned` (a devDependency: only tests, demos and benchmarks
 * run the emulator). Plain CommonJS so that `npm test` can run it before jest and the emulator
 * can require() it at start-up; generating is asynchronous, so ensureTestCert returns a promise.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const selfsigned = require('selfsigned');

const DEFAULT_DIR = path.resolve(__dirname, '..', '.emulator-certs');
const FILES = { ca: 'ca.pem', cert: 'server.pem', key: 'server-key.pem' };
const CA_NAME = 'Lockdown ARM emulator test CA';
const ORGANIZATION = 'Lockdown ARM emulator (test only)';

const subject = (commonName) => [
  { name: 'commonName', value: commonName },
  { name: 'organizationName', value: ORGANIZATION },
];

async function generate() {
  const now = Date.now();
  const validity = { notBeforeDate: new Date(now - 24 * 3600e3), notAfterDate: new Date(now + 5 * 365 * 24 * 3600e3) };
  const common = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', ...validity };
  const ca = await selfsigned.generate(subject(CA_NAME), {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await selfsigned.generate(subject('localhost'), {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { caPem: ca.cert, serverPem: server.cert, keyPem: server.private };
}

function isUsable(dir) {
  try {
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, FILES.cert)));
    const ca = new crypto.X509Certificate(fs.readFileSync(path.join(dir, FILES.ca)));
    const key = crypto.createPrivateKey(fs.readFileSync(path.join(dir, FILES.key)));
    const soon = Date.now() + 24 * 3600e3;
    return (
      new Date(cert.validTo).getTime() > soon &&
      new Date(ca.validTo).getTime() > soon &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(key)
    );
  } catch {
    return false;
  }
}

/**
 * Ensures the test PKI exists in `dir` (default <repo>/.emulator-certs) and resolves to the file paths.
 * Safe against concurrent callers: files are written to a private temp dir which is renamed into place.
 */
async function ensureTestCert(dir = DEFAULT_DIR) {
  const paths = {
    dir,
    caPath: path.join(dir, FILES.ca),
    certPath: path.join(dir, FILES.cert),
    keyPath: path.join(dir, FILES.key),
    created: false,
  };
  if (isUsable(dir)) return paths;
  const { caPem, serverPem, keyPem } = await generate();
  const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, FILES.ca), caPem);
    fs.writeFileSync(path.join(tmp, FILES.cert), serverPem);
    fs.writeFileSync(path.join(tmp, FILES.key), keyPem, { mode: 0o600 });
    if (fs.existsSync(dir) && !isUsable(dir)) fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
      paths.created = true;
    } catch (err) {
      if (!isUsable(dir)) throw err; // somebody else won the race with a usable set, otherwise fail
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return paths;
}

module.exports = { ensureTestCert, generate, DEFAULT_DIR };

if (require.main === module) {
  ensureTestCert(process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_DIR).then(
    (p) => console.log(`${p.created ? 'created' : 'using existing'} emulator test CA: ${p.caPath}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
