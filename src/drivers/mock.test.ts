import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriverStartError } from './driver.js';
import { MockDriver, parseMockConfig } from './mock.js';
import { devContext, LogFileSink, taskConfig } from '../../test/unit/driver-support.js';

describe('mock driver', () => {
  it('parses its config and names bad fields', () => {
    const { cfg, errors } = parseMockConfig({ run_for: '1m30s', exit_code: 2, stdout_string: 'hi' });
    assert.deepEqual(errors, []);
    assert.equal(cfg.runForMs, 90_000);
    assert.equal(cfg.exitCode, 2);
    assert.deepEqual(parseMockConfig({ run_for: 'soon', exit_code: 'x', what: 1 }).errors, [
      'config.run_for: "soon" is not a valid duration',
      'config.exit_code: must be an integer',
      'config.what: unknown field for the mock driver',
    ]);
  });

  it('is only enabled when the client says so', async () => {
    assert.equal((await new MockDriver({ ...devContext(), devMode: false }).fingerprint()).Detected, false);
    assert.equal((await new MockDriver(devContext()).fingerprint()).Detected, true);
  });

  it('runs for run_for, then exits with exit_code, exit_signal and exit_err_msg', async () => {
    const d = new MockDriver(devContext());
    const out = new LogFileSink();
    await d.startTask(taskConfig('m1', { run_for: '10ms', exit_code: 3, exit_signal: 9, exit_err_msg: 'boom', stdout_string: 'hello\n', stdout_repeat: 2, stdout_repeat_duration: '1ms' }, '/tmp', out));
    assert.deepEqual(await d.waitTask('m1'), { ExitCode: 3, Signal: 9, OOMKilled: false, Err: 'boom' });
    assert.ok(out.text().startsWith('hello\n'));
  });

  it('fails to start with start_error, recoverable or not', async () => {
    const d = new MockDriver(devContext());
    await assert.rejects(d.startTask(taskConfig('m2', { start_error: 'no', start_error_recoverable: true }, '/tmp')), (e: unknown) => e instanceof DriverStartError && e.recoverable && e.message === 'no');
  });

  it('honours kill_after against the kill timeout', async () => {
    const d = new MockDriver(devContext());
    await d.startTask(taskConfig('m3', { run_for: '1h', kill_after: '5ms' }, '/tmp'));
    await d.stopTask('m3', 1_000, 'SIGINT');
    assert.deepEqual(await d.waitTask('m3'), { ExitCode: 0, Signal: 0, OOMKilled: false, Err: null });
    await d.startTask(taskConfig('m4', { run_for: '1h', kill_after: '1h' }, '/tmp'));
    await d.stopTask('m4', 5, 'SIGINT');
    assert.equal((await d.waitTask('m4')).Signal, 9);
  });
});
