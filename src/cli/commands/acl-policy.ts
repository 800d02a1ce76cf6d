// `nomad acl policy apply | delete | info | list`.
import { argsError, defineCommand, errText } from '../base.js';
import { formatPolicies, formatPolicy, readInput, toJson } from './acl-format.js';

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
    try {
      await client().aclPolicies.upsert({ Name: name, Description: flags.string('description'), Rules: rules });
    } catch (err) {
      io.err(`Error writing ACL policy: ${errText(err)}`);
      return 1;
    }
    io.out(`Successfully wrote "${name}" ACL policy!`);
    return 0;
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
    try {
      await client().aclPolicies.delete(args[0]!);
    } catch (err) {
      io.err(`Error deleting ACL policy: ${errText(err)}`);
      return 1;
    }
    io.out(`Successfully deleted ${args[0]} policy!`);
    return 0;
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
    let policy;
    try {
      policy = (await client().aclPolicies.info(args[0]!)).body;
    } catch (err) {
      io.err(`Error fetching info on ACL policy: ${errText(err)}`);
      return 1;
    }
    io.out(flags.bool('json') ? toJson(policy) : formatPolicy(policy));
    return 0;
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
    let policies;
    try {
      policies = (await client().aclPolicies.list()).body ?? [];
    } catch (err) {
      io.err(`Error listing ACL policies: ${errText(err)}`);
      return 1;
    }
    io.out(flags.bool('json') ? toJson(policies) : formatPolicies(policies));
    return 0;
  },
});
