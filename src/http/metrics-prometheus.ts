// The Prometheus form of the agent's metrics. Loaded only when a scraper asks for it: the
// client library is heavy to load, and most agents are never scraped.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Server } from '../server/server.js';
import { serverGauges } from './metrics.js';

/** A Prometheus registry whose gauges read the server's figures at scrape time. */
export function prometheusRegistry(server: Server | null, host: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const names = serverGauges(server, host).map((g) => g.Name);
  for (const name of names) {
    new Gauge({
      name: name.replace(/[^a-zA-Z0-9_]/g, '_'),
      help: name,
      labelNames: ['host'],
      registers: [registry],
      collect() {
        const cur = serverGauges(server, host).find((x) => x.Name === name);
        this.set({ host }, cur?.Value ?? 0);
      },
    });
  }
  return registry;
}
