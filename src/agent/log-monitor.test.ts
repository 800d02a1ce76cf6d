import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentLogger } from './logger.js';
import { LogMonitor } from './log-monitor.js';

test('a monitor hears every named logger at its own level, in its own format, whatever the agent logs', async () => {
  const agentLines: string[] = [];
  const logger = new AgentLogger('WARN', { write: (l) => agentLines.push(l) });
  const text = new LogMonitor('DEBUG', false);
  const json = new LogMonitor('INFO', true);
  const stopText = logger.taps.add(text);
  logger.taps.add(json);
  logger.named('nomad').debug('planning', { eval_id: 'e1' });
  logger.named('client').info('started');
  logger.trace('too fine for anyone');
  const ac = new AbortController();
  const textLines = (await text.next(ac.signal))!;
  assert.equal(textLines.length, 2);
  assert.match(textLines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[DEBUG\] nomad: planning eval_id=e1\n$/);
  assert.match(textLines[1]!, /\[INFO\]  client: started\n$/);
  const jsonLines = (await json.next(ac.signal))!;
  assert.equal(jsonLines.length, 1);
  assert.deepEqual({ ...JSON.parse(jsonLines[0]!), '@timestamp': 't' }, { '@level': 'info', '@message': 'started', '@module': 'client', '@timestamp': 't' });
  // The agent's own output stays at its level.
  assert.deepEqual(agentLines, []);
  stopText();
  logger.debug('after the reader left');
  const waiting = text.next(ac.signal);
  ac.abort();
  assert.equal(await waiting, null);
});

test('a slow reader loses lines beyond the bound and is told how many', async () => {
  const logger = new AgentLogger('ERROR', { write: () => {} });
  const monitor = new LogMonitor('INFO', false, 3);
  logger.taps.add(monitor);
  for (let i = 0; i < 10; i++) logger.info(`line ${i}`);
  const lines = (await monitor.next(new AbortController().signal))!;
  assert.equal(lines.length, 4);
  assert.match(lines[2]!, /line 2/);
  assert.match(lines[3]!, /\[WARN\]  agent: Monitor dropped 7 logs during monitor request\n$/);
  monitor.close();
  assert.equal(await monitor.next(new AbortController().signal), null);
});
