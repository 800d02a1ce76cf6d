// Query options and metadata as Nomad's API defines them: blocking queries wait on an index.

export interface QueryOptions {
  region?: string;
  namespace?: string;
  /** Block until the resource's index is above this. */
  index?: number;
  /** Upper bound of a blocking wait, in milliseconds (the agent caps it too). */
  waitMs?: number;
  prefix?: string;
  /** Allow any server to answer, not only the leader. */
  stale?: boolean;
  /** Extra query parameters for endpoints that take them. */
  params?: Record<string, string>;
}

export interface WriteOptions {
  region?: string;
  namespace?: string;
  params?: Record<string, string>;
}

export interface QueryMeta {
  /** X-Nomad-Index: the state index this answer reflects; 0 when absent. */
  lastIndex: number;
  /** X-Nomad-KnownLeader */
  knownLeader: boolean;
  /** X-Nomad-LastContact, milliseconds since the answering server heard from the leader. */
  lastContactMs: number;
  requestTimeMs: number;
}

export interface WriteMeta {
  lastIndex: number;
  requestTimeMs: number;
}

export interface Answer<T> {
  body: T;
  meta: QueryMeta;
}
