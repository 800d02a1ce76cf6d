// What one fingerprinter contributes to the node: attributes, and for some, resources.
import type { NetworkResource } from '../../structs/job.js';
import type { NodeNetworkResource } from '../../structs/node.js';

export interface FingerprintContext {
  dataDir: string;
  /** The interface or address the client binds and advertises (127.0.0.1 in dev mode). */
  networkInterface: string;
  bindAddress: string;
  /** host:port of the HTTP API, for nomad.advertise.address and Node.HTTPAddr. */
  httpAdvertise: string;
  networkSpeedMbits: number;
  /** Configured CPU total in MHz, used instead of the host's when above 0. */
  cpuTotalComputeMHz?: number;
  /** Configured memory total in MB, used instead of the host's when above 0. */
  memoryTotalMB?: number;
  /** Reads a file as text; injected so tests can give canned /proc contents. */
  readText: (path: string) => Promise<string | null>;
}

export interface FingerprintResult {
  attributes: Record<string, string>;
  cpu?: { totalMhz: number; cores: number; mhzPerCore: number };
  memoryMB?: number;
  diskMB?: number;
  networks?: NetworkResource[];
  nodeNetworks?: NodeNetworkResource[];
}
