// Certificate authority and agent certificates for `nomad tls`, made with @peculiar/x509 over
// node's Web Crypto: ECDSA P-256 keys (as Nomad's), keys written as SEC1 "EC PRIVATE KEY" PEM.
// Loaded only by the tls commands: the library and its polyfill stay out of other commands.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** Certificates start a minute in the past, so that a host whose clock is a little behind accepts them. */
const BACKDATE_MS = 60_000;

export interface Pem {
  cert: string;
  key: string;
}

export interface CaOptions {
  commonName: string;
  days: number;
  /** DNS zones the CA may sign names in (name constraints); empty: no constraint. */
  permittedDomains: string[];
}

export interface CertOptions {
  ca: Pem;
  commonName: string;
  days: number;
  dnsNames: string[];
  ipAddresses: string[];
  /** serverAuth and/or clientAuth. */
  extKeyUsages: Array<'serverAuth' | 'clientAuth'>;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return b.toString('hex');
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'sec1' }).toString();
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

export async function createCa(opts: CaOptions): Promise<Pem> {
  const keys = await keyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (opts.permittedDomains.length > 0) {
    const permitted = new GeneralSubtrees(opts.permittedDomains.map((d) => new GeneralSubtree({ base: new GeneralName({ dNSName: d }) })));
    extensions.push(new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(new NameConstraints({ permittedSubtrees: permitted }))));
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${opts.commonName}`,
    ...validity(opts.days),
    keys,
    signingAlgorithm: EC_ALG,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await keyPem(keys.privateKey) };
}

/** The CA's key, whatever PEM form it is in (SEC1, PKCS#8), as a signing key. */
async function importCaKey(pem: string): Promise<CryptoKey> {
  const pkcs8 = createPrivateKey(pem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', pkcs8, EC_ALG, false, ['sign']);
}

export async function createCert(opts: CertOptions): Promise<Pem> {
  const caCert = new x509.X509Certificate(opts.ca.cert);
  const caKey = await importCaKey(opts.ca.key);
  const keys = await keyPair();
  const usages = opts.extKeyUsages.map((u) => (u === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${opts.commonName}`,
    issuer: caCert.subject,
    ...validity(opts.days),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension([...opts.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...opts.ipAddresses.map((value) => ({ type: 'ip' as const, value }))]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  const pem = cert.toString('pem') + '\n';
  // The same check a TLS peer makes: signed by this CA.
  if (!new X509Certificate(pem).verify(new X509Certificate(opts.ca.cert).publicKey)) throw new Error('the new certificate does not verify against the CA');
  return { cert: pem, key: await keyPem(keys.privateKey) };
}
