// Bad input at the HTTP layer: bodies past the size, value and nesting bounds, lone surrogates,
// query parameters out of range, other regions. Each gets a clear 4xx (or Nomad's own answer)
// and nothing is stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { jobInput, startInProcessApi, type InProcessApi } from '../../test/unit/http-harness.js';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-body.js';

let api: InProcessApi;
before(async () => {
  api = await startInProcessApi();
});
after(() => api.close());

function nested(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

function withArgs(id: string, args: unknown): Record<string, unknown> {
  const job = jobInput(id) as { TaskGroups: Array<{ Tasks: Array<{ Config: Record<string, unknown> }> }> };
  job.TaskGroups[0]!.Tasks[0]!.Config.args = args;
  return job;
}

describe('request bodies are bounded before they are parsed', () => {
  it('takes a job nested as deep as the bound allows, and refuses deeper with a 400', async () => {
    const ok = await api.call('PUT', '/v1/job/deep-ok/plan', { Job: withArgs('deep-ok', nested(MAX_JSON_DEPTH - 20)), Diff: true });
    assert.equal(ok.status, 200, ok.text);
    // Written out by hand: JSON.stringify itself overflows on 5000 levels.
    const deepArgs = `${'['.repeat(5_000)}"x"${']'.repeat(5_000)}`;
    const deep = await api.call('PUT', '/v1/job/deep/plan', JSON.stringify({ Job: withArgs('deep', 'ARGS') }).replace('"ARGS"', deepArgs));
    assert.equal(deep.status, 400);
    assert.equal(deep.text, `Failed to parse JSON body: invalid character '[' exceeded max depth (${MAX_JSON_DEPTH})`);
    // A bracket inside a string is no nesting.
    const inString = await api.call('PUT', '/v1/validate/job', { Job: withArgs('brackets', '['.repeat(10_000)) });
    assert.equal(inString.status, 200, inString.text);
  });

  it('refuses a body of too many bytes or values with 413, before parsing it', async () => {
    const bytes = await api.call('PUT', '/v1/validate/job', `"${'a'.repeat(MAX_BODY_BYTES)}"`);
    assert.equal(bytes.status, 413);
    assert.equal(bytes.text, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes`);
    const values = await api.call('PUT', '/v1/validate/job', `[${'1,'.repeat(MAX_JSON_VALUES)}1]`);
    assert.equal(values.status, 413);
    assert.equal(values.text, `Request body too large: more than ${MAX_JSON_VALUES} JSON values`);
    // The agent goes on answering on new connections.
    assert.equal((await api.call('GET', '/v1/jobs')).status, 200);
  });
});

describe('IDs with lone surrogates', () => {
  it('are stored as Go stores them (U+FFFD) and stay reachable by their escaped URL', async () => {
    const body = JSON.stringify({ Job: jobInput('sur\udfffid') });
    assert.ok(body.includes('\\udfff'), 'the body carries the lone surrogate as an escape');
    const reg = await api.call('PUT', '/v1/jobs', body);
    assert.equal(reg.status, 200, reg.text);
    const list = (await api.call('GET', '/v1/jobs')).json() as Array<{ ID: string }>;
    assert.ok(list.some((j) => j.ID === 'sur\ufffdid'), JSON.stringify(list.map((j) => j.ID)));
    // Both the UTF-8 escape of U+FFFD and the (invalid) UTF-8 of the surrogate itself reach it.
    assert.equal((await api.call('GET', `/v1/job/${encodeURIComponent('sur\ufffdid')}`)).status, 200);
    assert.equal((await api.call('GET', '/v1/job/sur%ED%BF%BFid')).status, 200);
    const del = await api.call('DELETE', `/v1/job/${encodeURIComponent('sur\ufffdid')}?purge=true`);
    assert.equal(del.status, 200, del.text);
    assert.equal((await api.call('GET', `/v1/job/${encodeURIComponent('sur\ufffdid')}`)).status, 404);
  });
});

describe('query parameters', () => {
  it('refuse an index past 2^64-1 as Nomad does, instead of blocking on it', async () => {
    for (const index of ['18446744073709551616', '1' + '0'.repeat(23), '9'.repeat(5_000), '-1', '1e3']) {
      const r = await api.call('GET', `/v1/jobs?index=${index}&wait=1m`);
      assert.equal(r.status, 400, `index=${index.slice(0, 30)}: ${r.text}`);
      assert.equal(r.text, 'Invalid index');
    }
    const max = await api.call('GET', '/v1/jobs?index=18446744073709551615&wait=10ms');
    assert.equal(max.status, 200);
  });

  it('answer a request for an unknown region with "No path to region", and serve the local one', async () => {
    const other = await api.call('GET', '/v1/jobs?region=nowhere');
    assert.equal(other.status, 500);
    assert.equal(other.text, 'No path to region');
    assert.equal((await api.call('GET', '/v1/jobs?region=global')).status, 200);
    // The agent's own routes answer whatever region is asked.
    assert.equal((await api.call('GET', '/v1/regions?region=nowhere')).status, 200);
  });
});

describe('jobs for places that do not exist', () => {
  it('are refused and not stored: another region as Nomad answers it, an unknown namespace with a 400', async () => {
    const region = await api.call('PUT', '/v1/jobs', { Job: { ...jobInput('far'), Region: 'nowhere' } });
    assert.equal(region.status, 500);
    assert.equal(region.text, 'No path to region');
    const ns = await api.call('PUT', '/v1/jobs', { Job: { ...jobInput('lost'), Namespace: 'nope' } });
    assert.equal(ns.status, 400);
    assert.equal(ns.text, 'job "lost" is in nonexistent namespace "nope"');
    for (const path of ['/v1/job/far', '/v1/job/lost?namespace=nope', '/v1/job/lost']) assert.equal((await api.call('GET', path)).status, 404, path);
    // "global" is this agent's region.
    assert.equal((await api.call('PUT', '/v1/jobs', { Job: { ...jobInput('here'), Region: 'global' } })).status, 200);
  });
});

/** Sends raw bytes and reads until the server closes or the answer is complete (bounded). */
function rawExchange(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 10 s; got ${JSON.stringify(data.slice(0, 300))}`));
    }, 10_000);
    const finish = (): void => {
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(data);
      const length = m ? /content-length: (\d+)/i.exec(m[2]!) : null;
      if (m && length && Buffer.byteLength(m[3]!) >= Number(length[1])) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(m[1]), body: m[3]! });
      }
    };
    socket.on('data', (d) => {
      data += d.toString('utf8');
      finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n[\s\S]*?\r\n\r\n([\s\S]*)$/.exec(data);
      if (m) resolve({ status: Number(m[1]), body: m[2]! });
      else reject(new Error(`connection closed without an answer: ${JSON.stringify(data.slice(0, 300))}`));
    });
    socket.write(request);
  });
}

describe('malformed and oversized HTTP', () => {
  it('takes a long URL and a long token header, as Go does up to 1 MB', async () => {
    const longId = 'j'.repeat(64 * 1024);
    const r = await rawExchange(api.port, `GET /v1/job/${longId} HTTP/1.1\r\nHost: x\r\nX-Nomad-Token: ${'t'.repeat(100_000)}\r\nConnection: close\r\n\r\n`);
    assert.equal(r.status, 404);
    assert.equal(r.body, 'job not found');
  });

  it('answers headers past the bound with 431 and a body, not a reset', async () => {
    const r = await rawExchange(api.port, `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(2 * 1024 * 1024)}\r\n\r\n`);
    assert.equal(r.status, 431);
    assert.equal(r.body, '431 Request Header Fields Too Large');
  });

  it('says why a malformed request is a 400', async () => {
    const r = await rawExchange(api.port, 'GET /v1/jobs HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
    assert.equal(r.status, 400);
    assert.match(r.body, /^400 Bad Request: \S/);
  });

  it('refuses a body in a transfer coding other than chunked with 501, storing nothing', async () => {
    const body = JSON.stringify({ Job: jobInput('te-job') });
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const r = await rawExchange(api.port, `PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${chunked}`);
    assert.equal(r.status, 501);
    assert.equal(r.body, 'Unsupported transfer encoding');
    assert.equal((await api.call('GET', '/v1/job/te-job')).status, 404);
  });
});
