import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { computeNodeClass } from './computed-class.js';
import { cgroupMountpoint } from './fingerprint/cgroup.js';
import { DEFAULT_CPU_MHZ, fingerprintCpu, parseCpuInfo } from './fingerprint/cpu.js';
import { fingerprintHostFacts } from './fingerprint/index.js';
import { fingerprintMemory, parseMemTotalBytes } from './fingerprint/memory.js';
import { parseOsRelease } from './fingerprint/host.js';
import { deviceForPath } from './fingerprint/storage.js';
import { devClientConfig } from '../../test/unit/client-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'fp-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fingerprint', () => {
  it('gives sane values on this machine', async () => {
    const t0 = performance.now();
    const host = await fingerprintHostFacts(devClientConfig(dir, { nodeName: '', dataDir: dir, stateDir: dir }));
    console.log(`fingerprint: host facts in ${(performance.now() - t0).toFixed(1)} ms`);
    const a = host.attributes;
    assert.ok(['amd64', 'arm64'].includes(a['cpu.arch']!), a['cpu.arch']);
    assert.ok(Number(a['cpu.numcores']) >= 1);
    assert.equal(Number(a['cpu.totalcompute']), Number(a['cpu.frequency']) * Number(a['cpu.numcores']));
    assert.ok(Number(a['memory.totalbytes']) > 64 * 1024 * 1024);
    assert.ok(Number(a['unique.storage.bytestotal']) >= Number(a['unique.storage.bytesfree']));
    assert.equal(a['kernel.name'], 'linux');
    assert.ok(a['kernel.version']);
    assert.ok(a['os.signals']!.includes('SIGINT'));
    assert.equal(a['unique.network.ip-address'], '127.0.0.1');
    assert.equal(a['nomad.version'], '1.1.2');
    assert.equal(a['nomad.advertise.address'], '127.0.0.1:4646');
    assert.ok(a['unique.hostname']);
  });

  it('parses /proc/cpuinfo and falls back when it lists no MHz', async () => {
    assert.deepEqual(parseCpuInfo('processor\t: 0\nmodel name\t: X\ncpu MHz\t\t: 2599.998\nprocessor\t: 1\n'), { cores: 2, modelName: 'X', mhz: 2599.998 });
    const noMhz = await fingerprintCpu({ dataDir: dir, networkInterface: '', bindAddress: '', httpAdvertise: '', networkSpeedMbits: 0, readText: async (p) => (p === '/proc/cpuinfo' ? 'processor : 0\nprocessor : 1\n' : p.includes('cpufreq') ? '1800000\n' : null) });
    assert.equal(noMhz.attributes['cpu.frequency'], '1800');
    assert.equal(noMhz.attributes['cpu.totalcompute'], '3600');
    const none = await fingerprintCpu({ dataDir: dir, networkInterface: '', bindAddress: '', httpAdvertise: '', networkSpeedMbits: 0, readText: async () => 'processor : 0\n' });
    assert.ok(Number(none.attributes['cpu.frequency']) > 0 || DEFAULT_CPU_MHZ > 0);
  });

  it('takes the configured CPU and memory totals over the host\'s (cpu_total_compute, memory_total_mb)', async () => {
    const base = { dataDir: dir, networkInterface: '', bindAddress: '', httpAdvertise: '', networkSpeedMbits: 0 };
    const readText = async (p: string) => (p === '/proc/cpuinfo' ? 'processor : 0\ncpu MHz : 2000\nprocessor : 1\n' : p === '/proc/meminfo' ? 'MemTotal:       1024 kB\n' : null);
    const cpu = await fingerprintCpu({ ...base, readText, cpuTotalComputeMHz: 12_345 });
    assert.equal(cpu.attributes['cpu.totalcompute'], '12345');
    assert.equal(cpu.cpu?.totalMhz, 12_345);
    assert.equal(cpu.attributes['cpu.numcores'], '2');
    const mem = await fingerprintMemory({ ...base, readText, memoryTotalMB: 2048 });
    assert.equal(mem.attributes['memory.totalbytes'], String(2048 * 1024 * 1024));
    assert.equal(mem.memoryMB, 2048);
    // Not configured (0): the host's figures.
    assert.equal((await fingerprintCpu({ ...base, readText, cpuTotalComputeMHz: 0 })).cpu?.totalMhz, 4000);
    assert.equal((await fingerprintMemory({ ...base, readText })).memoryMB, 1);
  });

  it('parses meminfo, os-release, mounts and cgroups', () => {
    assert.equal(parseMemTotalBytes('MemTotal:       24684092 kB\n'), 24684092 * 1024);
    assert.deepEqual(parseOsRelease('ID=debian\nVERSION_ID="12"\n'), { ID: 'debian', VERSION_ID: '12' });
    assert.equal(deviceForPath('/dev/vda / ext4 rw 0 0\n/dev/vdb /data xfs rw 0 0\n', '/data/nomad'), '/dev/vdb');
    assert.equal(cgroupMountpoint('cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n'), '/sys/fs/cgroup/cpu');
    assert.equal(cgroupMountpoint('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n'), '/sys/fs/cgroup');
  });

  it('computes a stable class that ignores unique attributes', () => {
    const base = { Datacenter: 'dc1', NodeClass: '', Attributes: { 'kernel.name': 'linux', 'unique.hostname': 'a' }, Meta: { rack: '1' }, Drivers: {} };
    const c1 = computeNodeClass(base);
    assert.match(c1, /^v1:\d+$/);
    assert.equal(computeNodeClass({ ...base, Attributes: { 'unique.hostname': 'b', 'kernel.name': 'linux' } }), c1);
    assert.notEqual(computeNodeClass({ ...base, Datacenter: 'dc2' }), c1);
  });
});
