// `nomad tls ca create` and `nomad tls cert create`: a CA and the server, client and CLI
// certificates signed by it, with today's Nomad's file names, so that TLS can be set up without
// another tool. The certificate library is loaded only here.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';

/** Written beside the target and renamed into place, so that a failure leaves no half-written file. */
function writeAtomic(io: Io, name: string, text: string, mode: number): void {
  const path = resolve(io.cwd, name);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

export const tlsCaCreateCommand = defineCommand({
  name: 'tls ca create',
  synopsis: 'Create a certificate authority for Nomad',
  help: `Usage: nomad tls ca create [options]

  Create a new certificate authority.

CA Create Options:

  -additional-domain
    Add additional DNS zones to the allowed list for the CA. The server will
    reject certificates for DNS names other than those specified in -domain and
    -additional-domain. This flag can be used multiple times. Only used in
    combination with -domain and -name-constraint.

  -common-name
    Common Name of CA. Defaults to "Nomad Agent CA".

  -days
    Provide number of days the CA is valid for from now on.
    Defaults to 5 years or 1825 days.

  -domain
    Domain of Nomad cluster. Only used in combination with -name-constraint.
    Defaults to "nomad".

  -name-constraint
    Enables the DNS name restriction functionality to the CA. Results in the CA
    rejecting certificates for any other DNS zone. If enabled, localhost and the
    value of -domain will be added to the allowed DNS zones field. Defaults to
    false.
`,
  api: false,
  flags: (fs) => fs.list('additional-domain').string('common-name').int('days', 1825).string('domain', 'nomad').bool('name-constraint'),
  async run({ flags, args, io }) {
    if (args.length > 1) return argsError(io, 'tls ca create', 'This command takes up to one argument');
    const domain = flags.string('domain');
    const constraint = flags.bool('name-constraint');
    const extra = flags.list('additional-domain');
    if (domain !== '' && domain !== 'nomad' && !constraint) {
      io.err('Please provide the -name-constraint flag to use a custom domain constraint');
      return 1;
    }
    if (domain === 'nomad' && constraint) {
      io.err('Please provide the -domain flag if you want to enable custom domain constraints');
      return 1;
    }
    if (extra.length > 0 && !constraint) {
      io.err('Please provide the -name-constraint flag to use a custom domain constraints');
      return 1;
    }
    if (flags.int('days') <= 0) {
      io.err('Please provide a positive number of -days');
      return 1;
    }
    const certFile = `${domain}-agent-ca.pem`;
    const keyFile = `${domain}-agent-ca-key.pem`;
    if (existsSync(resolve(io.cwd, certFile))) {
      io.err(`CA certificate file '${certFile}' already exists`);
      return 1;
    }
    if (existsSync(resolve(io.cwd, keyFile))) {
      io.err(`CA key file '${keyFile}' already exists`);
      return 1;
    }
    const { createCa } = await import('../tls-certs.js');
    let ca;
    try {
      ca = await createCa({
        commonName: flags.string('common-name') || 'Nomad Agent CA',
        days: flags.int('days'),
        permittedDomains: constraint ? [domain, 'localhost', 'nomad', ...extra] : [],
      });
      writeAtomic(io, certFile, ca.cert, 0o666);
      io.out(`==> CA certificate saved to: ${certFile}`);
      writeAtomic(io, keyFile, ca.key, 0o600);
      io.out(`==> CA certificate key saved to: ${keyFile}`);
    } catch (err) {
      io.err(errText(err));
      return 1;
    }
    return 0;
  },
});

type Role = 'server' | 'client' | 'cli';

/** Names, addresses and file prefix of a certificate, as Nomad chooses them. */
function records(role: Role, region: string, domain: string, dnsNames: string[], ips: string[]) {
  const name = `${role}.${region}.${domain}`;
  const regionName = `${role}.${region}.nomad`;
  const dns = [...dnsNames];
  if (region !== 'global' && domain !== 'nomad') dns.push(name, regionName, `${role}.global.nomad`, 'localhost');
  else if (region !== 'global') dns.push(regionName, `${role}.global.nomad`, 'localhost');
  else if (domain !== 'nomad') dns.push(regionName, name, 'localhost');
  else dns.push(name, 'localhost');
  return {
    name,
    dnsNames: dns,
    ipAddresses: role === 'cli' ? ips : [...ips, '127.0.0.1'],
    prefix: `${region}-${role}-${domain}`,
  };
}

const ROLE_TITLE: Record<Role, [string, string]> = {
  server: ['Server Certificate', 'Server Certificate key'],
  client: ['Client Certificate', 'Client Certificate key'],
  cli: ['Cli Certificate', 'CLI Certificate key'],
};

export const tlsCertCreateCommand = defineCommand({
  name: 'tls cert create',
  synopsis: 'Create a new TLS certificate',
  help: `Usage: nomad tls cert create [options]

  Create a new TLS certificate to use within the Nomad cluster TLS
  configuration. You should use the -client, -server or -cli options to create
  certificates for these roles.

Certificate Create Options:

  -additional-dnsname
    Provide an additional dnsname for Subject Alternative Names.
    "localhost" is always included. This flag may be provided multiple times.

  -additional-ipaddress
    Provide an additional ipaddress for Subject Alternative Names.
    "127.0.0.1" is always included. This flag may be provided multiple times.

  -ca
    Provide path to the certificate authority certificate. Defaults to
    #DOMAIN#-agent-ca.pem.

  -cli
    Generate a certificate for use with the Nomad CLI.

  -client
    Generate a client certificate.

  -cluster-region
    DEPRECATED please use -region.

  -days
    Provide number of days the certificate is valid for from now on.
    Defaults to 1 year.

  -domain
    Provide the domain. Only used for -server certificates.

  -key
    Provide path to the certificate authority key. Defaults to
    #DOMAIN#-agent-ca-key.pem.

  -region
    Provide the region. Only used for -server certificates.
    Defaults to "global" (or NOMAD_REGION).

  -server
    Generate a server certificate.
`,
  api: false,
  flags: (fs) =>
    fs
      .list('additional-dnsname')
      .list('additional-ipaddress')
      .string('ca', '#DOMAIN#-agent-ca.pem')
      .bool('cli')
      .bool('client')
      .string('cluster-region')
      .int('days', 365)
      .string('domain', 'nomad')
      .string('key', '#DOMAIN#-agent-ca-key.pem')
      .string('region')
      .bool('server'),
  async run({ flags, args, io }) {
    if (args.length > 1) return argsError(io, 'tls cert create', 'This command takes up to one argument');
    if (flags.string('ca') === '') {
      io.err('Please provide the ca');
      return 1;
    }
    if (flags.string('key') === '') {
      io.err('Please provide the key');
      return 1;
    }
    const roles = (['server', 'client', 'cli'] as const).filter((r) => flags.bool(r));
    if (roles.length !== 1) {
      io.err('Please provide either -server, -client, or -cli');
      return 1;
    }
    const role = roles[0]!;
    const ips = flags.list('additional-ipaddress').map((s) => s.trim()).filter(Boolean);
    const badIp = ips.find((ip) => !/^[\d.]+$|:/.test(ip));
    if (badIp !== undefined) {
      io.err(`Invalid -additional-ipaddress "${badIp}": not an IP address`);
      return 1;
    }
    const envRegion = io.env['NOMAD_REGION'] ?? '';
    const flagRegion = flags.string('region') || envRegion;
    const region = flags.string('cluster-region') || (flagRegion !== '' && flagRegion !== 'global' ? flagRegion : 'global');
    const domain = flags.string('domain');
    const rec = records(role, region, domain, flags.list('additional-dnsname').map((s) => s.trim()).filter(Boolean), ips);
    const certFile = `${rec.prefix}.pem`;
    const keyFile = `${rec.prefix}-key.pem`;
    if (existsSync(resolve(io.cwd, certFile))) {
      io.err(`Certificate file '${certFile}' already exists`);
      return 1;
    }
    if (existsSync(resolve(io.cwd, keyFile))) {
      io.err(`Key file '${keyFile}' already exists`);
      return 1;
    }
    const caFile = flags.string('ca').replace('#DOMAIN#', domain);
    const caKeyFile = flags.string('key').replace('#DOMAIN#', domain);
    let ca: { cert: string; key: string };
    try {
      ca = { cert: readFileSync(resolve(io.cwd, caFile), 'utf8'), key: '' };
    } catch (err) {
      io.err(`Error reading CA: ${errText(err)}`);
      return 1;
    }
    try {
      ca.key = readFileSync(resolve(io.cwd, caKeyFile), 'utf8');
    } catch (err) {
      io.err(`Error reading CA key: ${errText(err)}`);
      return 1;
    }
    if (role === 'server') {
      io.err(`==> WARNING: Server Certificates grants authority to become a
    server and access all state in the cluster including root keys
    and all ACL tokens. Do not distribute them to production hosts
    that are not server nodes. Store them as securely as CA keys.`);
    }
    io.out(`==> Using CA file ${caFile} and CA key ${caKeyFile}`);
    const { createCert } = await import('../tls-certs.js');
    try {
      const pem = await createCert({
        ca,
        commonName: rec.name,
        days: flags.int('days'),
        dnsNames: rec.dnsNames,
        ipAddresses: rec.ipAddresses,
        extKeyUsages: role === 'cli' ? ['clientAuth', 'serverAuth'] : ['serverAuth', 'clientAuth'],
      });
      const [certTitle, keyTitle] = ROLE_TITLE[role];
      writeAtomic(io, certFile, pem.cert, 0o666);
      io.out(`==> ${certTitle} saved to ${certFile}`);
      writeAtomic(io, keyFile, pem.key, 0o600);
      io.out(`==> ${keyTitle} saved to ${keyFile}`);
    } catch (err) {
      io.err(errText(err));
      return 1;
    }
    return 0;
  },
});
