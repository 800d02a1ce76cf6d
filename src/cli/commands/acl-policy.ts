// `nomad acl policy apply | delete | info | list`.
import { argsError, defineCommand, errText } from '../base.js';
import { callAndPrint, formatPolicies, formatPolicy, readInput, toJson } from './acl-format.js';

export const aclPolicyApplyCommand = defineCommand({
  name: 'acl policy apply',
  synopsis: 'Create or update an ACL policy',
  help: `Usage: nomad acl policy apply [options] <name> <path>

  Apply is used to create or update an ACL policy. The policy is sourced from
  <path> or from stdin if path is "-". Requires a management token.

Apply Options:

  -description
    Specifies a human readable description for the policy.
`,
  api: true,
  flags: (fs) => fs.string('description'),
  async run({ flags, args, io, client }) {
    if (args.length !== 2) return argsError(io, 'acl policy apply', 'This command takes two arguments: <name> and <path>');
    const [name, file] = args as [string, string];
    let rules: string;
    try {
      rules = readInput(file, io.cwd);
    } catch (err) {
      io.err(file === '-' ? `Failed to read stdin: ${errText(err)}` : `Failed to read file: ${errText(err)}`);
      return 1;
    }
    const policy = { Name: name, Description: flags.string('description'), Rules: rules };
    return callAndPrint(io, 'Error writing ACL policy', () => client().aclPolicies.upsert(policy), () => `Successfully wrote "${name}" ACL policy!`);
  },
});

export const aclPolicyDeleteCommand = defineCommand({
  name: 'acl policy delete',
  synopsis: 'Delete an existing ACL policy',
  help: `Usage: nomad acl policy delete <name>

  Delete is used to delete an existing ACL policy. Requires a management token.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 1) return argsError(io, 'acl policy delete', 'This command takes one argument: <name>');
    return callAndPrint(io, 'Error deleting ACL policy', () => client().aclPolicies.delete(args[0]!), () => `Successfully deleted ${args[0]} policy!`);
  },
});

export const aclPolicyInfoCommand = defineCommand({
  name: 'acl policy info',
  synopsis: 'Fetch info on an existing ACL policy',
  help: `Usage: nomad acl policy info <name>

  Info is used to fetch information on an existing ACL policy. Requires a
  management token or a token that has the policy.

Info Options:

  -json
    Output the ACL policy in a JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'acl policy info', 'This command takes one argument: <name>');
    return callAndPrint(io, 'Error fetching info on ACL policy', async () => (await client().aclPolicies.info(args[0]!)).body, (p) => (flags.bool('json') ? toJson(p) : formatPolicy(p)));
  },
});

export const aclPolicyListCommand = defineCommand({
  name: 'acl policy list',
  synopsis: 'List ACL policies',
  help: `Usage: nomad acl policy list

  List is used to list available ACL policies. A management token sees every
  policy; another token sees its own.

List Options:

  -json
    Output the ACL policies in a JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'acl policy list', 'This command takes no arguments');
    return callAndPrint(io, 'Error listing ACL policies', async () => (await client().aclPolicies.list()).body ?? [], (ps) => (flags.bool('json') ? toJson(ps) : formatPolicies(ps)));
  },
});
