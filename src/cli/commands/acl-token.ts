// `nomad acl bootstrap` and `nomad acl token create | update | delete | info | list | self`.
import { parseDurationNs } from '../../structs/time.js';
import { argsError, defineCommand, errText } from '../base.js';
import { callAndPrint, formatToken, formatTokens, readInput, toJson } from './acl-format.js';
import type { AclToken } from '../../api/index.js';

function tokenOutput(json: boolean): (t: AclToken) => string {
  return (t) => (json ? toJson(t) : formatToken(t));
}

export const aclBootstrapCommand = defineCommand({
  name: 'acl bootstrap',
  synopsis: 'Bootstrap the ACL system for initial token',
  help: `Usage: nomad acl bootstrap [options] [<path>]

  Bootstrap is used to bootstrap the ACL system and get an initial token.

  Without an argument the server generates the bootstrap token. With <path>,
  the token's secret (a UUID) is read from that file, or from stdin if <path>
  is "-".

Bootstrap Options:

  -json
    Output the bootstrap response in JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length > 1) return argsError(io, 'acl bootstrap', 'This command takes up to one argument');
    let secret = '';
    if (args.length === 1 && args[0] !== '') {
      try {
        secret = readInput(args[0]!, io.cwd).replace(/\n$/, '');
      } catch (err) {
        io.err(`Error reading provided token: ${errText(err)}`);
        return 1;
      }
    }
    return callAndPrint(io, 'Error bootstrapping', async () => (await client().aclTokens.bootstrap(secret)).body, tokenOutput(flags.bool('json')));
  },
});

export const aclTokenCreateCommand = defineCommand({
  name: 'acl token create',
  synopsis: 'Create a new ACL token',
  help: `Usage: nomad acl token create [options]

  Create is used to issue new ACL tokens. Requires a management token.

Create Options:

  -name=""
    Sets the human readable name for the ACL token.

  -type="client"
    Sets the type of token. Must be one of "client" (default), or "management".

  -global=false
    Toggles the global mode of the token. Global tokens are replicated to all regions.

  -policy=""
    Specifies a policy to associate with the token. Can be specified multiple times,
    but only with client type tokens.

  -ttl
    Specifies the time-to-live of the created ACL token, such as "5m" or "1h".
    By default, tokens never expire.

  -json
    Output the ACL token information in JSON format.
`,
  api: true,
  flags: (fs) => fs.string('name').string('type', 'client').bool('global').list('policy').string('ttl').bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'acl token create', 'This command takes no arguments');
    let ttlNs = 0;
    if (flags.string('ttl') !== '') {
      const parsed = parseDurationNs(flags.string('ttl'));
      if (parsed === null) {
        io.err(`Failed to parse TTL as time duration: time: invalid duration "${flags.string('ttl')}"`);
        return 1;
      }
      ttlNs = parsed;
    }
    const request = {
      Name: flags.string('name'),
      Type: flags.string('type'),
      Policies: flags.list('policy'),
      Global: flags.bool('global'),
      ...(ttlNs > 0 ? { ExpirationTTL: ttlNs } : {}),
    };
    return callAndPrint(io, 'Error creating token', async () => (await client().aclTokens.create(request)).body, tokenOutput(flags.bool('json')));
  },
});

export const aclTokenUpdateCommand = defineCommand({
  name: 'acl token update',
  synopsis: 'Update an existing ACL token',
  help: `Usage: nomad acl token update [options] <token_accessor_id>

  Update is used to update an existing ACL token. Requires a management token.

Update Options:

  -name=""
    Sets the human readable name for the ACL token.

  -type="client"
    Sets the type of token. Must be one of "client" or "management".

  -global=false
    Toggles the global mode of the token. Global tokens are replicated to all regions.

  -policy=""
    Specifies a policy to associate with the token. Can be specified multiple times,
    but only with client type tokens.
`,
  api: true,
  flags: (fs) => fs.string('name').string('type').bool('global').list('policy'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'acl token update', 'This command takes one argument: <token_accessor_id>');
    const api = client();
    let token;
    try {
      token = (await api.aclTokens.info(args[0]!)).body;
    } catch (err) {
      io.err(`Error fetching token: ${errText(err)}`);
      return 1;
    }
    const type = flags.string('type') || token.Type;
    const policies = flags.list('policy');
    const request = {
      AccessorID: token.AccessorID,
      Name: flags.string('name') || token.Name,
      Type: type,
      // As Nomad's: a management token drops its (absent) policies; given ones replace the old.
      Policies: policies.length > 0 ? policies : type === 'management' ? [] : (token.Policies ?? []),
      // Nomad's -global defaults to false, so an update without it asks for a local token.
      Global: flags.bool('global'),
    };
    return callAndPrint(io, 'Error updating token', async () => (await api.aclTokens.update(request)).body, tokenOutput(false));
  },
});

export const aclTokenDeleteCommand = defineCommand({
  name: 'acl token delete',
  synopsis: 'Delete an existing ACL token',
  help: `Usage: nomad acl token delete <token_accessor_id>

  Delete is used to delete an existing ACL token. Requires a management token.
`,
  api: true,
  async run({ args, io, client }) {
    if (args.length !== 1) return argsError(io, 'acl token delete', 'This command takes one argument: <token_accessor_id>');
    return callAndPrint(io, 'Error deleting token', () => client().aclTokens.delete(args[0]!), () => `Token ${args[0]} successfully deleted`);
  },
});

export const aclTokenInfoCommand = defineCommand({
  name: 'acl token info',
  synopsis: 'Fetch information on an existing ACL token',
  help: `Usage: nomad acl token info <token_accessor_id>

  Info is used to fetch information on an existing ACL token. Requires a
  management token, or the token's own secret.

Info Options:

  -json
    Output the ACL token in a JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 1) return argsError(io, 'acl token info', 'This command takes one argument: <token_accessor_id>');
    return callAndPrint(io, 'Error fetching token', async () => (await client().aclTokens.info(args[0]!)).body, tokenOutput(flags.bool('json')));
  },
});

export const aclTokenListCommand = defineCommand({
  name: 'acl token list',
  synopsis: 'List ACL tokens',
  help: `Usage: nomad acl token list

  List is used to list existing ACL tokens. Requires a management token.

List Options:

  -json
    Output the ACL tokens in a JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'acl token list', 'This command takes no arguments');
    return callAndPrint(io, 'Error listing ACL tokens', async () => (await client().aclTokens.list()).body ?? [], (ts) => (flags.bool('json') ? toJson(ts) : formatTokens(ts, io.nowMs())));
  },
});

export const aclTokenSelfCommand = defineCommand({
  name: 'acl token self',
  synopsis: 'Lookup self ACL token',
  help: `Usage: nomad acl token self

  Self is used to fetch information about the currently set ACL token.

Self Options:

  -json
    Output the ACL token in a JSON format.
`,
  api: true,
  flags: (fs) => fs.bool('json'),
  async run({ flags, args, io, client }) {
    if (args.length !== 0) return argsError(io, 'acl token self', 'This command takes no arguments');
    return callAndPrint(io, 'Error fetching self token', async () => (await client().aclTokens.self()).body, tokenOutput(flags.bool('json')));
  },
});
