// The agent's tls block: what is checked before start (with where each setting was written), the
// certificate material for the HTTPS listener (read again on SIGHUP), and mutual TLS for the RPC
// port (servers and the callers of other agents), with the role name server.<region>.nomad
// checked on outgoing connections when verify_server_hostname is set.
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureVersion } from 'node:tls';
import type { AgentConfig } from './config.js';
import { secureContextOptions, type TlsMaterial } from '../http/tls-listener.js';
import type { RpcTlsClientOptions, RpcTlsServerOptions } from '../rpc/index.js';

export type HttpTlsMaterial = TlsMaterial;

const MIN_VERSIONS: Record<string, SecureVersion> = { tls10: 'TLSv1', tls11: 'TLSv1.1', tls12: 'TLSv1.2', tls13: 'TLSv1.3' };

/** Go's names of the TLS 1.2 suites Nomad accepts, and OpenSSL's names for them. */
const CIPHER_SUITES: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** TLS 1.3 suites are not configurable in Nomad (Go): they stay on whatever tls_cipher_suites says. */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function at(c: AgentConfig, path: string): string {
  const where = c.sources[path];
  return where ? ` (${where})` : '';
}

/** Problems that stop the agent, and settings that are accepted but change nothing here. */
export function checkTlsConfig(c: AgentConfig): { errors: string[]; warnings: string[] } {
  const t = c.tls;
  const errors: string[] = [];
  const warnings: string[] = [];
  if (t.rpc && (t.certFile === '' || t.keyFile === '' || t.caFile === '')) {
    errors.push(`tls.rpc = true${at(c, 'tls.rpc')}: ca_file, cert_file and key_file must all be set for mutual TLS on RPC`);
  }
  if (t.rpc && c.devMode) warnings.push(`tls.rpc = true${at(c, 'tls.rpc')} has no effect in dev mode: a dev agent runs no RPC listener`);
  if (t.rpcUpgradeMode && !t.rpc) warnings.push(`tls.rpc_upgrade_mode${at(c, 'tls.rpcUpgradeMode')} has no effect without tls.rpc`);
  if (t.verifyServerHostname && !t.rpc) warnings.push(`tls.verify_server_hostname${at(c, 'tls.verifyServerHostname')} applies to RPC only; it has no effect without tls.rpc`);
  if (t.tlsMinVersion !== '' && MIN_VERSIONS[t.tlsMinVersion] === undefined) {
    errors.push(`tls.tls_min_version = "${t.tlsMinVersion}"${at(c, 'tls.tlsMinVersion')}: must be one of ${Object.keys(MIN_VERSIONS).join(', ')}`);
  }
  for (const suite of cipherNames(t.tlsCipherSuites)) {
    if (CIPHER_SUITES[suite] === undefined) errors.push(`tls.tls_cipher_suites${at(c, 'tls.tlsCipherSuites')}: unsupported TLS cipher "${suite}"`);
  }
  if (!t.http) {
    if (t.verifyHttpsClient) warnings.push(`tls.verify_https_client${at(c, 'tls.verifyHttpsClient')} has no effect without tls.http`);
    return { errors, warnings };
  }
  if (t.certFile === '' || t.keyFile === '') errors.push(`tls.http = true${at(c, 'tls.http')}: cert_file and key_file must both be set`);
  if (t.verifyHttpsClient && t.caFile === '') errors.push(`tls.verify_https_client = true${at(c, 'tls.verifyHttpsClient')}: ca_file must be set to verify client certificates`);
  return { errors, warnings };
}

function cipherNames(list: string): string[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The RPC listener's and the RPC pool's TLS settings; null when tls.rpc is off. With
 * verify_server_hostname a server must carry its region's role name, "server.<region>.nomad":
 * `regionOf` names the region of the server at an address (this agent's when unknown).
 */
export function loadRpcTls(
  c: AgentConfig,
  logger: { warn(msg: string): void },
  regionOf: (addr: string) => string = () => c.region,
): { server: RpcTlsServerOptions; pool: RpcTlsClientOptions } | null {
  const t = c.tls;
  if (!t.rpc) return null;
  const read = (path: string, key: string, setting: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`tls.${setting} = "${path}"${at(c, `tls.${key}`)}: ${(e as Error).message}`);
    }
  };
  const caPem = read(t.caFile, 'caFile', 'ca_file');
  const certPem = read(t.certFile, 'certFile', 'cert_file');
  const keyPem = read(t.keyFile, 'keyFile', 'key_file');
  const minVersion = MIN_VERSIONS[t.tlsMinVersion] ?? 'TLSv1.2';
  if (t.rpcUpgradeMode) logger.warn('tls.rpc_upgrade_mode: the RPC port accepts plain connections as well as TLS until this is turned off');
  return {
    server: { caPem, certPem, keyPem, mode: t.rpcUpgradeMode ? 'tls-and-plain' : 'tls-only', verifyIncoming: true, minVersion },
    pool: { caPem, certPem, keyPem, minVersion, ...(t.verifyServerHostname ? { serverName: (addr: string) => `server.${regionOf(addr)}.nomad` } : {}) },
  };
}

/** Reads the certificate files; throws naming the setting, its file and where it was set. */
export function loadHttpTls(c: AgentConfig): HttpTlsMaterial {
  const t = c.tls;
  const read = (path: string, key: string, setting: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`tls.${setting} = "${path}"${at(c, `tls.${key}`)}: ${(e as Error).message}`);
    }
  };
  const suites = cipherNames(t.tlsCipherSuites);
  const material: HttpTlsMaterial = {
    cert: read(t.certFile, 'certFile', 'cert_file'),
    key: read(t.keyFile, 'keyFile', 'key_file'),
    ca: t.caFile ? read(t.caFile, 'caFile', 'ca_file') : null,
    verifyClient: t.verifyHttpsClient,
    minVersion: MIN_VERSIONS[t.tlsMinVersion] ?? 'TLSv1.2',
    ciphers: suites.length > 0 ? [TLS13_SUITES, ...suites.map((s) => CIPHER_SUITES[s]!)].join(':') : undefined,
  };
  try {
    createSecureContext(secureContextOptions(material));
  } catch (e) {
    throw new Error(`tls${at(c, 'tls.certFile')}: the certificate, key or CA cannot be used: ${(e as Error).message}`);
  }
  return material;
}
