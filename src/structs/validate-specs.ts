// Validation of a job's optional blocks (periodic, parameterized, services, vault) in the words
// Nomad uses for each problem, each led by the field path that holds it.
import type { ParameterizedJobConfig, PeriodicConfig, Service, Vault } from './job.js';
import type { AddError } from './validate-placement.js';
import { cronSpecError } from './periodic.js';

/** Spec types Nomad knows: cron, and the one its own tests use. */
const PERIODIC_SPEC_TYPES = new Set(['cron', '_internal_test']);
const PAYLOAD_REQUIREMENTS = new Set(['optional', 'required', 'forbidden']);
const VAULT_CHANGE_MODES = new Set(['noop', 'restart', 'signal']);
/** A DNS label (RFC 1123), as service names must be. */
const SERVICE_NAME = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,61}[a-z0-9])$/i;

export function validatePeriodic(p: PeriodicConfig, add: AddError): void {
  if (!PERIODIC_SPEC_TYPES.has(p.SpecType)) add('Periodic.SpecType', `Unknown periodic specification type "${p.SpecType}"`);
  if (p.TimeZone && !validTimeZone(p.TimeZone)) add('Periodic.TimeZone', `Invalid time zone "${p.TimeZone}"`);
  if (p.SpecType === 'cron' && p.Spec) {
    const problem = cronSpecError(p.Spec);
    if (problem !== null) add('Periodic.Spec', `Invalid cron spec ${JSON.stringify(p.Spec)}: ${problem}`);
  }
}

function validTimeZone(tz: string): boolean {
  if (tz === 'UTC' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function validateParameterized(d: ParameterizedJobConfig, add: AddError): void {
  if (!PAYLOAD_REQUIREMENTS.has(d.Payload)) add('ParameterizedJob.Payload', `Unknown payload requirement: "${d.Payload}"`);
  const required = new Set(d.MetaRequired ?? []);
  const both = (d.MetaOptional ?? []).filter((k) => required.has(k));
  if (both.length > 0) add('ParameterizedJob', `Meta keys [${both.join(' ')}] defined as both required and optional`);
}

export function validateServices(services: Service[] | null, path: string, add: AddError): void {
  (services ?? []).forEach((s, i) => {
    // Interpolated parts (${NOMAD_TASK_NAME}) are filled in on the client: check the rest.
    const stripped = s.Name.replace(/\$\{[^}]*\}/g, 'ENV-VAR');
    if (!SERVICE_NAME.test(stripped)) {
      add(`${path}[${i}].Name`, `Service name must be valid per RFC 1123 and can contain only alphanumeric characters or dashes: ${JSON.stringify(s.Name)}`);
    }
  });
}

export function validateVault(v: Vault, path: string, add: AddError): void {
  if (!v.Policies || v.Policies.length === 0) add(`${path}.Policies`, 'Policy list cannot be empty');
  if ((v.Policies ?? []).includes('root')) add(`${path}.Policies`, 'Can not specify "root" policy');
  if (!VAULT_CHANGE_MODES.has(v.ChangeMode)) add(`${path}.ChangeMode`, `Unknown change mode "${v.ChangeMode}"`);
  else if (v.ChangeMode === 'signal' && !v.ChangeSignal) add(`${path}.ChangeSignal`, `Signal must be specified when using change mode "signal"`);
}
