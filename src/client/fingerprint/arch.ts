// cpu.arch in Go's names (amd64, arm64), as constraints in existing job files expect.
import { arch } from 'node:os';
import type { FingerprintResult } from './types.js';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' };

export async function fingerprintArch(): Promise<FingerprintResult> {
  return { attributes: { 'cpu.arch': GO_ARCH[arch()] ?? arch() } };
}
