// service blocks (Consul service registrations), their checks, and Consul Connect.

import type { Service, ServiceCheck, DeepPartial } from '../structs/job.js';
import { defined, type BlockReader } from './block-reader.js';
import { decodeTask } from './decode-task.js';


export function decodeService(r: BlockReader): DeepPartial<Service> {
  return defined({
    Name: r.string('name'),
    TaskName: r.string('task'),
    PortLabel: r.string('port'),
    AddressMode: r.string('address_mode'),
    EnableTagOverride: r.bool('enable_tag_override'),
    Tags: r.stringList('tags'),
    CanaryTags: r.stringList('canary_tags'),
    Meta: r.stringMap('meta'),
    CanaryMeta: r.stringMap('canary_meta'),
    OnUpdate: r.string('on_update'),
    Checks: r.blocks('check', decodeCheck) as ServiceCheck[] | undefined,
    CheckRestart: r.block('check_restart', decodeCheckRestart),
    Connect: r.block('connect', decodeConnect),
  });
}

function decodeCheck(r: BlockReader): DeepPartial<ServiceCheck> {
  return defined({
    Name: r.string('name'),
    Type: r.string('type'),
    Command: r.string('command'),
    Args: r.stringList('args'),
    Path: r.string('path'),
    Protocol: r.string('protocol'),
    PortLabel: r.string('port'),
    Expose: r.bool('expose'),
    AddressMode: r.string('address_mode'),
    Interval: r.duration('interval'),
    Timeout: r.duration('timeout'),
    InitialStatus: r.string('initial_status'),
    TLSSkipVerify: r.bool('tls_skip_verify'),
    Method: r.string('method'),
    Header: readHeader(r),
    Body: r.string('body'),
    GRPCService: r.string('grpc_service'),
    GRPCUseTLS: r.bool('grpc_use_tls'),
    TaskName: r.string('task'),
    SuccessBeforePassing: r.int('success_before_passing'),
    FailuresBeforeCritical: r.int('failures_before_critical'),
    OnUpdate: r.string('on_update'),
    CheckRestart: r.block('check_restart', decodeCheckRestart),
  });
}

/** `header { Authorization = ["Basic x"] }`: each header has a list of values. */
function readHeader(r: BlockReader): Record<string, string[]> | undefined {
  const plain = r.plainMap('header');
  if (!plain) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(plain)) {
    const list = Array.isArray(v) ? v : [v];
    out[k] = list.map((x) => String(x));
  }
  return out;
}

function decodeCheckRestart(r: BlockReader): Record<string, unknown> {
  return defined({
    Limit: r.int('limit'),
    Grace: r.duration('grace'),
    IgnoreWarnings: r.bool('ignore_warnings'),
  });
}

function decodeConnect(r: BlockReader): Record<string, unknown> {
  return defined({
    Native: r.bool('native'),
    SidecarService: r.block('sidecar_service', (s) =>
      defined({
        Tags: s.stringList('tags'),
        Port: s.string('port'),
        DisableDefaultTCPCheck: s.bool('disable_default_tcp_check'),
        Proxy: s.block('proxy', decodeProxy),
      }),
    ),
    SidecarTask: r.block('sidecar_task', (t) => decodeTask(t, undefined, { sidecar: true })),
    Gateway: r.block('gateway', decodeGateway),
  });
}

function decodeProxy(r: BlockReader): Record<string, unknown> {
  return defined({
    LocalServiceAddress: r.string('local_service_address'),
    LocalServicePort: r.int('local_service_port'),
    Config: r.plainMap('config'),
    Upstreams: r.blocks('upstreams', (u) =>
      defined({
        DestinationName: u.string('destination_name'),
        LocalBindPort: u.int('local_bind_port'),
        Datacenter: u.string('datacenter'),
        LocalBindAddress: u.string('local_bind_address'),
        MeshGateway: u.block('mesh_gateway', (m) => defined({ Mode: m.string('mode') })),
      }),
    ),
    ExposeConfig: r.block('expose', (e) =>
      defined({
        Path: e.blocks('path', (p) =>
          defined({
            Path: p.string('path'),
            Protocol: p.string('protocol'),
            LocalPathPort: p.int('local_path_port'),
            ListenerPort: p.string('listener_port'),
          }),
        ),
      }),
    ),
  });
}

function decodeGateway(r: BlockReader): Record<string, unknown> {
  return defined({
    Proxy: r.block('proxy', (p) =>
      defined({
        ConnectTimeout: p.duration('connect_timeout'),
        EnvoyGatewayBindTaggedAddresses: p.bool('envoy_gateway_bind_tagged_addresses'),
        EnvoyGatewayBindAddresses: p.plainMap('envoy_gateway_bind_addresses'),
        EnvoyGatewayNoDefaultBind: p.bool('envoy_gateway_no_default_bind'),
        EnvoyDNSDiscoveryType: p.string('envoy_dns_discovery_type'),
        Config: p.plainMap('config'),
      }),
    ),
    Ingress: r.block('ingress', (i) =>
      defined({
        TLS: i.block('tls', (t) => defined({ Enabled: t.bool('enabled') })),
        Listeners: i.blocks('listener', (l) =>
          defined({
            Port: l.int('port'),
            Protocol: l.string('protocol'),
            Services: l.blocks('service', (s) => defined({ Name: s.string('name'), Hosts: s.stringList('hosts') })),
          }),
        ),
      }),
    ),
    Terminating: r.block('terminating', (t) =>
      defined({
        Services: t.blocks('service', (s) =>
          defined({
            Name: s.string('name'),
            CAFile: s.string('ca_file'),
            CertFile: s.string('cert_file'),
            KeyFile: s.string('key_file'),
            SNI: s.string('sni'),
          }),
        ),
      }),
    ),
    Mesh: r.block('mesh', () => ({})),
  });
}
