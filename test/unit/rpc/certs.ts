// Certificates made for a test with the openssl command: a CA, certificates it signs (with the
// names Nomad's roles use), and a self-signed one no CA vouches for.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TestPki {
  readonly caPem: string;
  /** CN and DNS name server.global.nomad, IP 127.0.0.1. */
  readonly server: KeyPair;
  /** CN client.global.nomad. */
  readonly client: KeyPair;
  /** Self-signed, CN rogue.example: no CA of ours signed it. */
  readonly rogue: KeyPair;
}

export function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'rpc-pki-'));
  try {
    openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test RPC CA']);
    const signed = (name: string, cn: string, san: string): KeyPair => {
      openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
      return { certPem: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
    };
    const server = signed('server', 'server.global.nomad', 'DNS:server.global.nomad,DNS:localhost,IP:127.0.0.1');
    const client = signed('client', 'client.global.nomad', 'DNS:client.global.nomad');
    openssl(dir, ['req', '-x509', ...EC, '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=rogue.example']);
    const rogue = { certPem: readFileSync(join(dir, 'rogue.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'rogue.key'), 'utf8') };
    return { caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), server, client, rogue };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
