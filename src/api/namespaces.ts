// /v1/namespaces and /v1/namespace/:name.
import type { Namespace } from '../structs/namespace.js';
import { esc, type HttpTransport } from './http.js';
import type { Answer, QueryOptions, WriteMeta, WriteOptions } from './query.js';

export type NamespaceSpec = Partial<Omit<Namespace, 'CreateIndex' | 'ModifyIndex'>> & { Name: string };

export class Namespaces {
  constructor(private readonly http: HttpTransport) {}

  list(q?: QueryOptions): Promise<Answer<Namespace[]>> {
    return this.http.query('/v1/namespaces', q);
  }

  info(name: string, q?: QueryOptions): Promise<Answer<Namespace>> {
    return this.http.query(`/v1/namespace/${esc(name)}`, q);
  }

  register(ns: NamespaceSpec, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('PUT', `/v1/namespace/${esc(ns.Name)}`, ns, w);
  }

  delete(name: string, w?: WriteOptions): Promise<{ body: unknown; meta: WriteMeta }> {
    return this.http.write('DELETE', `/v1/namespace/${esc(name)}`, undefined, w);
  }
}
