// The typed client of Nomad's HTTP API. Groups mirror Nomad's Go api package:
// client.jobs, client.allocations, client.evaluations, client.nodes, client.deployments,
// client.agent, client.status, client.regions, client.operator, client.system.
import type { ApiConfig, ConfigOverrides } from './config.js';
import { resolveConfig } from './config.js';
import { HttpTransport } from './http.js';
import { Jobs } from './jobs.js';
import { Allocations } from './allocations.js';
import { Events } from './events.js';
import { Scaling } from './scaling.js';
import { AclPolicies, AclTokens } from './acl.js';
import { Namespaces } from './namespaces.js';
import { Agent, Deployments, Evaluations, Nodes, Operator, Regions, Status, SystemApi } from './cluster.js';

export class NomadClient {
  readonly http: HttpTransport;
  readonly jobs: Jobs;
  readonly allocations: Allocations;
  readonly evaluations: Evaluations;
  readonly nodes: Nodes;
  readonly deployments: Deployments;
  readonly agent: Agent;
  readonly status: Status;
  readonly regions: Regions;
  readonly operator: Operator;
  readonly system: SystemApi;
  readonly events: Events;
  readonly scaling: Scaling;
  readonly aclPolicies: AclPolicies;
  readonly aclTokens: AclTokens;
  readonly namespaces: Namespaces;

  constructor(config: ApiConfig) {
    this.http = new HttpTransport(config);
    this.jobs = new Jobs(this.http);
    this.allocations = new Allocations(this.http);
    this.evaluations = new Evaluations(this.http);
    this.agent = new Agent(this.http);
    this.nodes = new Nodes(this.http, this.agent);
    this.deployments = new Deployments(this.http);
    this.status = new Status(this.http);
    this.regions = new Regions(this.http);
    this.operator = new Operator(this.http);
    this.system = new SystemApi(this.http);
    this.events = new Events(this.http);
    this.scaling = new Scaling(this.http);
    this.aclPolicies = new AclPolicies(this.http);
    this.aclTokens = new AclTokens(this.http);
    this.namespaces = new Namespaces(this.http);
  }

  get address(): string {
    return this.http.config.address;
  }

  /** Sends every later request to this region (Go's client.SetRegion). */
  setRegion(region: string): void {
    this.http.config.region = region;
  }

  close(): void {
    this.http.close();
  }
}

export function createClient(overrides: ConfigOverrides = {}, env?: Record<string, string | undefined>): NomadClient {
  return new NomadClient(resolveConfig(overrides, env));
}
