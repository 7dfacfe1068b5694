#!/usr/bin/env node
/*
 * Creates the ARM emulator's test PKI if it is missing (or about to expire):
 *   .emulator-certs/ca.pem          self-signed test CA (trust it with NODE_EXTRA_CA_CERTS)
 *   .emulator-certs/server.pem      server certificate for localhost / 127.0.0.1 / ::1, signed by the CA
 *   .emulator-certs/server-key.pem  its private key
 *
 * Pure Node (no openssl, no npm dependency): ECDSA P-256 keys from node:crypto and a small DER
 * writer for the X.509 structures. Plain CommonJS so that `npm test` can run it before jest and
 * the emulator can require() it at start-up.
 */
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_DIR = path.resolve(__dirname, '..', '.emulator-certs');
const FILES = { ca: 'ca.pem', cert: 'server.pem', key: 'server-key.pem' };

// ---------------------------------------------------------------- DER encoding
function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag, content) {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}
const seq = (...items) => tlv(0x30, Buffer.concat(items));
const set = (...items) => tlv(0x31, Buffer.concat(items));
const explicit = (n, content) => tlv(0xa0 + n, content);
const octetString = (buf) => tlv(0x04, buf);
const bitString = (buf) => tlv(0x03, Buffer.concat([Buffer.from([0]), buf]));
const utf8 = (s) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (b) => tlv(0x01, Buffer.from([b ? 0xff : 0x00]));
function integer(buf) {
  let b = buf;
  while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) b = b.subarray(1);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}
function oid(dotted) {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    let v = Math.floor(p / 128);
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}
function time(d) {
  const pad = (n) => String(n).padStart(2, '0');
  const body = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
  if (d.getUTCFullYear() >= 2050) {
    return tlv(0x18, Buffer.from(`${d.getUTCFullYear()}${body.slice(2)}`, 'ascii')); // GeneralizedTime
  }
  return tlv(0x17, Buffer.from(body, 'ascii')); // UTCTime
}
const name = (cn) => seq(set(seq(oid('2.5.4.3'), utf8(cn))), set(seq(oid('2.5.4.10'), utf8('Lockdown ARM emulator (test only)'))));
const extension = (id, critical, value) => (critical ? seq(oid(id), bool(true), octetString(value)) : seq(oid(id), octetString(value)));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function keyId(publicKey) {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha1').update(spki).digest();
}

function buildCertificate({ subject, issuer, publicKey, signingKey, issuerKeyId, isCa, sans, notBefore, notAfter }) {
  const subjectKeyId = keyId(publicKey);
  const exts = [
    extension('2.5.29.19', true, isCa ? seq(bool(true)) : seq()), // basicConstraints
    // keyUsage: CA = keyCertSign|cRLSign; leaf = digitalSignature|keyEncipherment
    extension('2.5.29.15', true, isCa ? tlv(0x03, Buffer.from([0x01, 0x06])) : tlv(0x03, Buffer.from([0x05, 0xa0]))),
    extension('2.5.29.14', false, octetString(subjectKeyId)),
    extension('2.5.29.35', false, seq(tlv(0x80, issuerKeyId || subjectKeyId))),
  ];
  if (!isCa) {
    exts.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1')))); // extKeyUsage serverAuth
    const names = sans.map((s) => {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(s)) return tlv(0x87, Buffer.from(s.split('.').map(Number)));
      if (s === '::1') return tlv(0x87, Buffer.from([...new Array(15).fill(0), 1]));
      return tlv(0x82, Buffer.from(s, 'ascii'));
    });
    exts.push(extension('2.5.29.17', false, seq(...names))); // subjectAltName
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x01]), crypto.randomBytes(15)])),
    ECDSA_SHA256,
    name(issuer),
    seq(time(notBefore), time(notAfter)),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...exts)),
  );
  const signature = crypto.sign('sha256', tbs, signingKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

function generate() {
  const now = Date.now();
  const notBefore = new Date(now - 24 * 3600e3);
  const notAfter = new Date(now + 5 * 365 * 24 * 3600e3);
  const ca = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const server = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caPem = buildCertificate({
    subject: 'Lockdown ARM emulator test CA',
    issuer: 'Lockdown ARM emulator test CA',
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    isCa: true,
    notBefore,
    notAfter,
  });
  const serverPem = buildCertificate({
    subject: 'localhost',
    issuer: 'Lockdown ARM emulator test CA',
    publicKey: server.publicKey,
    signingKey: ca.privateKey,
    issuerKeyId: keyId(ca.publicKey),
    isCa: false,
    sans: ['localhost', '127.0.0.1', '::1'],
    notBefore,
    notAfter,
  });
  const keyPem = server.privateKey.export({ type: 'pkcs8', format: 'pem' });
  return { caPem, serverPem, keyPem };
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
 * Ensures the test PKI exists in `dir` (default <repo>/.emulator-certs) and returns the file paths.
 * Safe against concurrent callers: files are written to a private temp dir which is renamed into place.
 */
function ensureTestCert(dir = DEFAULT_DIR) {
  const paths = {
    dir,
    caPath: path.join(dir, FILES.ca),
    certPath: path.join(dir, FILES.cert),
    keyPath: path.join(dir, FILES.key),
    created: false,
  };
  if (isUsable(dir)) return paths;
  const { caPem, serverPem, keyPem } = generate();
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
  const p = ensureTestCert(process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_DIR);
  console.log(`${p.created ? 'created' : 'using existing'} emulator test CA: ${p.caPath}`);
}
