import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJobFile } from './index.js';

const FULL = `
job "web" {
  name        = "web-app"
  region      = "eu"
  namespace   = "prod"
  type        = "service"
  priority    = 70
  all_at_once = false
  datacenters = ["dc1", "dc2"]
  meta {
    owner = "team-a"
    build = 42
  }
  constraint {
    attribute = "\${attr.kernel.name}"
    value     = "linux"
  }
  constraint {
    distinct_hosts = true
  }
  constraint {
    distinct_property = "\${meta.rack}"
    value             = "2"
  }
  constraint {
    attribute = "\${attr.nomad.version}"
    version   = ">= 1.0"
  }
  constraint {
    attribute = "\${meta.tag}"
    operator  = "is_set"
  }
  affinity {
    attribute = "\${node.datacenter}"
    value     = "dc1"
    weight    = 100
  }
  spread {
    attribute = "\${node.datacenter}"
    weight    = 50
    target "dc1" {
      percent = 70
    }
    target "dc2" {
      percent = 30
    }
  }
  reschedule {
    attempts       = 3
    interval       = "1h"
    delay          = "30s"
    delay_function = "exponential"
    max_delay      = "2h"
    unlimited      = false
  }
  periodic {
    cron             = "*/15 * * * *"
    prohibit_overlap = true
    time_zone        = "UTC"
  }
  parameterized {
    payload       = "optional"
    meta_required = ["a"]
    meta_optional = ["b"]
  }
  vault {
    policies = ["job-policy"]
  }
  multiregion {
    strategy {
      max_parallel = 1
      on_failure   = "fail_all"
    }
    region "west" {
      count       = 2
      datacenters = ["w1"]
    }
  }

  group "frontend" {
    count                        = 3
    shutdown_delay               = "5s"
    stop_after_client_disconnect = "1m"
    consul {
      namespace = "ns"
    }
    ephemeral_disk {
      sticky  = true
      migrate = true
      size    = 500
    }
    update {
      max_parallel     = 2
      stagger          = "30s"
      health_check     = "task_states"
      canary           = 1
      auto_promote     = true
    }
    migrate {
      max_parallel = 2
    }
    network {
      mode = "bridge"
      port "http" {
        static = 8080
        to     = 80
      }
      port "metrics" {
        host_network = "private"
      }
      dns {
        servers = ["1.1.1.1"]
      }
    }
    volume "certs" {
      type      = "host"
      source    = "certs"
      read_only = true
    }
    scaling {
      min     = 1
      max     = 10
      enabled = true
      policy {
        cooldown = "1m"
      }
    }
    service {
      name = "web"
      port = "http"
      tags = ["urlprefix-/"]
      meta {
        version = "2"
      }
      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
        header {
          X-Token = ["abc"]
        }
        check_restart {
          limit = 3
          grace = "90s"
        }
      }
      connect {
        sidecar_service {
          proxy {
            upstreams {
              destination_name = "db"
              local_bind_port  = 5432
            }
          }
        }
      }
    }

    task "server" {
      driver       = "docker"
      user         = "www"
      leader       = true
      kill_timeout = "20s"
      kill_signal  = "SIGTERM"
      shutdown_delay = "3s"
      config {
        image = "nginx:1.21"
        ports = ["http"]
        args  = ["-p", "\${NOMAD_PORT_http}"]
        mount {
          type   = "bind"
          source = "local/a"
        }
        mount {
          type   = "bind"
          source = "local/b"
        }
        logging {
          type = "syslog"
          config {
            tag = "web"
          }
        }
      }
      env {
        LISTEN = "\${NOMAD_ADDR_http}"
        HOST   = "\${attr.unique.hostname}"
        DEBUG  = true
      }
      meta = {
        "a.b" = "c"
      }
      artifact {
        source      = "https://example.com/app.tar.gz"
        destination = "local/app"
        mode        = "any"
        options {
          checksum = "sha256:abc"
        }
      }
      template {
        data          = <<-EOT
          addr={{ env "NOMAD_ADDR_http" }}
          node=\${node.unique.name}
        EOT
        destination   = "local/app.conf"
        change_mode   = "signal"
        change_signal = "SIGHUP"
        splay         = "5s"
        env           = false
      }
      logs {
        max_files     = 5
        max_file_size = 20
      }
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
      dispatch_payload {
        file = "input.txt"
      }
      volume_mount {
        volume      = "certs"
        destination = "/etc/certs"
        read_only   = true
      }
      restart {
        attempts = 1
        delay    = "1m30s"
      }
      resources {
        cpu        = 500
        cores      = 0
        memory     = 256
        memory_max = 512
        device "nvidia/gpu" {
          count = 1
          constraint {
            attribute = "\${device.attr.memory}"
            operator  = ">="
            value     = "2 GiB"
          }
        }
      }
      vault {
        policies    = ["task-policy"]
        change_mode = "restart"
      }
      scaling "cpu" {
        min = 100
        max = 1000
        policy {
          cooldown = "5m"
        }
      }
      csi_plugin {
        id        = "ebs"
        type      = "monolith"
        mount_dir = "/csi"
      }
    }
    task "worker" {
      driver = "exec"
      config {
        command = "sleep"
      }
    }
  }
}
`;

describe('every block of a job', () => {
  const { job, errors } = parseJobFile(FULL, 'web.nomad');
  const group = job?.TaskGroups?.[0];
  const task = group?.Tasks?.[0];

  it('parses without errors', () => {
    assert.deepEqual(errors, []);
  });

  it('reads the job fields', () => {
    assert.equal(job?.ID, 'web');
    assert.equal(job?.Name, 'web-app');
    assert.equal(job?.Region, 'eu');
    assert.equal(job?.Namespace, 'prod');
    assert.equal(job?.Priority, 70);
    assert.equal(job?.AllAtOnce, false);
    assert.deepEqual(job?.Datacenters, ['dc1', 'dc2']);
    assert.deepEqual(job?.Meta, { owner: 'team-a', build: '42' });
    assert.deepEqual(job?.Reschedule, { Attempts: 3, Interval: 3600e9, Delay: 30e9, DelayFunction: 'exponential', MaxDelay: 7200e9, Unlimited: false });
    assert.deepEqual(job?.Periodic, { Spec: '*/15 * * * *', SpecType: 'cron', ProhibitOverlap: true, TimeZone: 'UTC' });
    assert.deepEqual(job?.ParameterizedJob, { Payload: 'optional', MetaRequired: ['a'], MetaOptional: ['b'] });
    assert.deepEqual(job?.Multiregion, { Strategy: { MaxParallel: 1, OnFailure: 'fail_all' }, Regions: [{ Name: 'west', Count: 2, Datacenters: ['w1'] }] });
  });

  it('reads constraints in all their forms, keeping runtime references', () => {
    assert.deepEqual(job?.Constraints, [
      // Without an operator, equality: Nomad's parser fills it in before the job is sent.
      { LTarget: '${attr.kernel.name}', RTarget: 'linux', Operand: '=' },
      { Operand: 'distinct_hosts' },
      { LTarget: '${meta.rack}', RTarget: '2', Operand: 'distinct_property' },
      { LTarget: '${attr.nomad.version}', RTarget: '>= 1.0', Operand: 'version' },
      { LTarget: '${meta.tag}', Operand: 'is_set' },
    ]);
    assert.deepEqual(job?.Affinities, [{ LTarget: '${node.datacenter}', RTarget: 'dc1', Weight: 100, Operand: '=' }]);
    assert.deepEqual(job?.Spreads, [
      {
        Attribute: '${node.datacenter}',
        Weight: 50,
        SpreadTarget: [
          { Value: 'dc1', Percent: 70 },
          { Value: 'dc2', Percent: 30 },
        ],
      },
    ]);
  });

  it('reads the group', () => {
    assert.equal(group?.Name, 'frontend');
    assert.equal(group?.Count, 3);
    assert.equal(group?.ShutdownDelay, 5e9);
    assert.equal(group?.StopAfterClientDisconnect, 60e9);
    assert.deepEqual(group?.Consul, { Namespace: 'ns' });
    assert.deepEqual(group?.EphemeralDisk, { Sticky: true, Migrate: true, SizeMB: 500 });
    assert.deepEqual(group?.Update, { MaxParallel: 2, Stagger: 30e9, HealthCheck: 'task_states', Canary: 1, AutoPromote: true });
    assert.deepEqual(group?.Migrate, { MaxParallel: 2 });
    assert.deepEqual(group?.Networks, [
      {
        Mode: 'bridge',
        DNS: { Servers: ['1.1.1.1'] },
        ReservedPorts: [{ Label: 'http', Value: 8080, To: 80 }],
        DynamicPorts: [{ Label: 'metrics', HostNetwork: 'private' }],
      },
    ]);
    assert.deepEqual(group?.Volumes, { certs: { Name: 'certs', Type: 'host', Source: 'certs', ReadOnly: true } });
    assert.deepEqual(group?.Scaling, { Min: 1, Max: 10, Enabled: true, Policy: { cooldown: '1m' } });
  });

  it('reads services, checks and connect', () => {
    const svc = group?.Services?.[0] as Record<string, any>;
    assert.equal(svc.Name, 'web');
    assert.equal(svc.PortLabel, 'http');
    assert.deepEqual(svc.Tags, ['urlprefix-/']);
    assert.deepEqual(svc.Meta, { version: '2' });
    assert.deepEqual(svc.Checks, [
      { Type: 'http', Path: '/health', Interval: 10e9, Timeout: 2e9, Header: { 'X-Token': ['abc'] }, CheckRestart: { Limit: 3, Grace: 90e9 } },
    ]);
    assert.deepEqual(svc.Connect, { SidecarService: { Proxy: { Upstreams: [{ DestinationName: 'db', LocalBindPort: 5432 }] } } });
  });

  it('reads the task', () => {
    assert.equal(task?.Name, 'server');
    assert.equal(task?.Driver, 'docker');
    assert.equal(task?.User, 'www');
    assert.equal(task?.Leader, true);
    assert.equal(task?.KillTimeout, 20e9);
    assert.equal(task?.KillSignal, 'SIGTERM');
    assert.equal(task?.ShutdownDelay, 3e9);
    assert.deepEqual(task?.Config, {
      image: 'nginx:1.21',
      ports: ['http'],
      args: ['-p', '${NOMAD_PORT_http}'],
      mount: [
        { type: 'bind', source: 'local/a' },
        { type: 'bind', source: 'local/b' },
      ],
      logging: [{ type: 'syslog', config: [{ tag: 'web' }] }],
    });
    assert.deepEqual(task?.Env, { LISTEN: '${NOMAD_ADDR_http}', HOST: '${attr.unique.hostname}', DEBUG: 'true' });
    assert.deepEqual(task?.Meta, { 'a.b': 'c' });
    assert.deepEqual(task?.Artifacts, [{ GetterSource: 'https://example.com/app.tar.gz', RelativeDest: 'local/app', GetterMode: 'any', GetterOptions: { checksum: 'sha256:abc' } }]);
    assert.deepEqual(task?.Templates, [
      {
        EmbeddedTmpl: 'addr={{ env "NOMAD_ADDR_http" }}\nnode=${node.unique.name}\n',
        DestPath: 'local/app.conf',
        ChangeMode: 'signal',
        ChangeSignal: 'SIGHUP',
        Splay: 5e9,
        Envvars: false,
        // Nomad's parser defaults.
        Perms: '0644',
        ErrMissingKey: false,
        Uid: -1,
        Gid: -1,
      },
    ]);
    assert.deepEqual(task?.LogConfig, { MaxFiles: 5, MaxFileSizeMB: 20 });
    assert.deepEqual(task?.Lifecycle, { Hook: 'prestart', Sidecar: false });
    assert.deepEqual(task?.DispatchPayload, { File: 'input.txt' });
    assert.deepEqual(task?.VolumeMounts, [{ Volume: 'certs', Destination: '/etc/certs', ReadOnly: true }]);
    assert.deepEqual(task?.RestartPolicy, { Attempts: 1, Delay: 90e9 });
    assert.deepEqual(task?.Resources, {
      CPU: 500,
      Cores: 0,
      MemoryMB: 256,
      MemoryMaxMB: 512,
      Devices: [{ Name: 'nvidia/gpu', Count: 1, Constraints: [{ LTarget: '${device.attr.memory}', Operand: '>=', RTarget: '2 GiB' }] }],
    });
    assert.deepEqual(task?.Vault, { Policies: ['task-policy'], ChangeMode: 'restart', Env: true, DisableFile: false });
    assert.deepEqual(task?.ScalingPolicies, [{ Type: 'vertical_cpu', Min: 100, Max: 1000, Policy: { cooldown: '5m' } }]);
    assert.deepEqual(task?.CSIPluginConfig, { ID: 'ebs', Type: 'monolith', MountDir: '/csi' });
  });

  it('gives tasks without a vault block the job-level one', () => {
    assert.deepEqual(group?.Tasks?.[1]?.Vault, { Policies: ['job-policy'], Env: true, DisableFile: false, ChangeMode: 'restart' });
  });

  it('makes a group of a task written directly in the job', () => {
    const r = parseJobFile('job "j" {\n  task "t" {\n    driver = "exec"\n  }\n}\n', 'j.nomad');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.job?.TaskGroups, [{ Name: 't', Tasks: [{ Name: 't', Driver: 'exec' }] }]);
  });
});
