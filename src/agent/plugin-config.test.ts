import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driverPluginConfigs } from './plugin-config.js';

test('plugin blocks are unwrapped to the config each driver reads', () => {
  const got = driverPluginConfigs({
    docker: { config: { endpoint: 'unix:///run/x.sock', allow_privileged: true } },
    raw_exec: { config: [{ enabled: true }] },
    java: {},
  });
  assert.deepEqual(got, { docker: { endpoint: 'unix:///run/x.sock', allow_privileged: true }, raw_exec: { enabled: true }, java: {} });
});
