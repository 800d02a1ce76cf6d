// A child process of the load benchmark that registers jobs when told (over IPC) and reports
// each registration's latency: timed in a process whose event loop is not also busy reading
// the answers of 500 watchers, the figure is the agent's, not the benchmark's.
import { request } from 'node:http';

interface Order {
  port: number;
  id: string;
  body: string;
}

function put(o: Order): Promise<{ status: number; index: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: o.port, method: 'PUT', path: '/v1/jobs', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-nomad-index'] ?? 0), text }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

process.on('message', (o: Order) => {
  const t0 = performance.now();
  put(o).then(
    (r) => process.send!({ id: o.id, ms: performance.now() - t0, status: r.status, index: r.index, text: r.status === 200 ? '' : r.text }),
    (e: Error) => process.send!({ id: o.id, ms: 0, status: 0, index: 0, text: e.message }),
  );
});
process.on('disconnect', () => process.exit(0));
