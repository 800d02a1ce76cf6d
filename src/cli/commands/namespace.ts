// `nomad namespace apply | list | status | inspect | delete`.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Namespace } from '../../structs/namespace.js';
import type { NamespaceSpec } from '../../api/namespaces.js';
import { isNotFound, type NomadClient } from '../../api/index.js';
import type { Io } from '../context.js';
import { argsError, defineCommand, errText } from '../base.js';
import { formatKV, formatList } from '../format.js';
import { NamespaceSpecError, parseNamespaceSpec } from '../namespace-spec.js';

export function formatNamespaceBasics(ns: Namespace): string {
  const caps = ns.Capabilities;
  const enabled = caps?.EnabledTaskDrivers?.length ? caps.EnabledTaskDrivers.join(',') : '*';
  const disabled = caps?.DisabledTaskDrivers?.length ? caps.DisabledTaskDrivers.join(',') : '';
  return formatKV([`Name|${ns.Name}`, `Description|${ns.Description}`, `Quota|${ns.Quota}`, `EnabledDrivers|${enabled}`, `DisabledDrivers|${disabled}`]);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export const namespaceApplyCommand = defineCommand({
  name: 'namespace apply',
  synopsis: 'Create or update a namespace',
  help: `Usage: nomad namespace apply [options] <namespace or path>

  Creates or updates a namespace. The argument is either a namespace name,
  changed by the flags below, or the path of a namespace specification file
  (HCL or JSON) with name, description, capabilities and meta.

Apply Options:

  -quota
    The quota to attach to the namespace (Nomad Enterprise only: refused).

  -description
    An optional description for the namespace.
`,
  api: true,
  flags: (fs) => fs.string('description').string('quota').bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'namespace apply', 'This command takes one argument: <namespace>');
    const arg = args[0]!;
    const path = resolve(io.cwd, arg);
    let spec: NamespaceSpec;
    if (await isFile(path)) {
      try {
        spec = parseNamespaceSpec(await readFile(path, 'utf8'), arg);
      } catch (err) {
        io.err(err instanceof NamespaceSpecError ? `Error parsing namespace specification: ${err.message}` : `Error reading file "${arg}": ${errText(err)}`);
        return 1;
      }
    } else {
      let existing: Namespace | null = null;
      try {
        existing = (await client().namespaces.info(arg)).body;
      } catch (err) {
        if (!isNotFound(err)) {
          io.err(`Error looking up namespace: ${errText(err)}`);
          return 1;
        }
      }
      spec = existing ? { Name: existing.Name, Description: existing.Description, Quota: existing.Quota, Capabilities: existing.Capabilities, Meta: existing.Meta } : { Name: arg };
      if (flags.isSet('description')) spec.Description = flags.string('description');
      if (flags.isSet('quota')) spec.Quota = flags.string('quota');
    }
    try {
      await client().namespaces.register(spec);
    } catch (err) {
      io.err(`Error applying namespace: ${errText(err)}`);
      return 1;
    }
    io.out(`Successfully applied namespace ${JSON.stringify(spec.Name)}!`);
    return 0;
  },
});

export const namespaceListCommand = defineCommand({
  name: 'namespace list',
  synopsis: 'List namespaces',
  help: `Usage: nomad namespace list [options]

  Lists the namespaces of the cluster.

List Options:

  -json
    Output the namespaces in their JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'namespace list', 'This command takes no arguments');
    let list: Namespace[];
    try {
      list = (await client().namespaces.list()).body ?? [];
    } catch (err) {
      io.err(`Error retrieving namespaces: ${errText(err)}`);
      return 1;
    }
    if (flags.bool('json')) {
      io.out(JSON.stringify(list, null, 4));
      return 0;
    }
    if (list.length === 0) {
      io.out('No namespaces found');
      return 0;
    }
    io.out(formatList(['Name|Description', ...list.map((n) => `${n.Name}|${n.Description}`)]));
    return 0;
  },
});

/** The one namespace a name or unique prefix designates; prints the problem otherwise. */
async function namespaceByPrefix(api: NomadClient, io: Io, given: string): Promise<Namespace | null> {
  let matches: Namespace[];
  try {
    matches = (await api.namespaces.list({ prefix: given })).body ?? [];
  } catch (err) {
    io.err(`Error retrieving namespaces: ${errText(err)}`);
    return null;
  }
  const exact = matches.find((n) => n.Name === given);
  if (exact) return exact;
  if (matches.length === 0) {
    io.err(`Namespace "${given}" matched no namespaces`);
    return null;
  }
  if (matches.length > 1) {
    io.err(`Prefix matched multiple namespaces\n\n${formatList(['Name|Description', ...matches.map((n) => `${n.Name}|${n.Description}`)])}`);
    return null;
  }
  return matches[0]!;
}

export const namespaceStatusCommand = defineCommand({
  name: 'namespace status',
  synopsis: 'Display a namespace\'s status',
  help: `Usage: nomad namespace status [options] <namespace>

  Shows a namespace: its description, quota and the task drivers it allows.
`,
  api: true,
  flags: (fs) => fs.bool('json').string('t'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'namespace status', 'This command takes one argument: <namespace>');
    const ns = await namespaceByPrefix(client(), io, args[0]!);
    if (!ns) return 1;
    if (flags.bool('json')) {
      io.out(JSON.stringify(ns, null, 4));
      return 0;
    }
    let text = formatNamespaceBasics(ns);
    const meta = Object.keys(ns.Meta ?? {}).sort();
    if (meta.length > 0) text += `\n\nMetadata\n${formatKV(meta.map((k) => `${k}|${ns.Meta![k]}`))}`;
    io.out(text);
    return 0;
  },
});

export const namespaceInspectCommand = defineCommand({
  name: 'namespace inspect',
  synopsis: 'Inspect a namespace',
  help: `Usage: nomad namespace inspect [options] <namespace>

  Prints a namespace as JSON.
`,
  api: true,
  flags: (fs) => fs.string('t').bool('json'),
  async run({ args, io, client }) {
    if (args.length !== 1) return argsError(io, 'namespace inspect', 'This command takes one argument: <namespace>');
    const ns = await namespaceByPrefix(client(), io, args[0]!);
    if (!ns) return 1;
    io.out(JSON.stringify(ns, null, 4));
    return 0;
  },
});

export const namespaceDeleteCommand = defineCommand({
  name: 'namespace delete',
  synopsis: 'Delete a namespace',
  help: `Usage: nomad namespace delete [options] <namespace>

  Deletes a namespace. Every job in it must be dead (stopped and finished)
  first, and the default namespace cannot be deleted.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 1) return argsError(io, 'namespace delete', 'This command takes one argument: <namespace>');
    const name = args[0]!;
    try {
      await client().namespaces.delete(name);
    } catch (err) {
      io.err(`Error deleting namespace: ${errText(err)}`);
      return 1;
    }
    io.out(`Successfully deleted namespace ${JSON.stringify(name)}!`);
    return 0;
  },
});
