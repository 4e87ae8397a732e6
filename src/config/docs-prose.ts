/**
 * The hand-written parts of docs/configuration.md. The key reference between them is
 * generated from the schema by docs.ts; edit this file, not the Markdown.
 */

export const INTRO = `# Configuration

Wedge reads one config file, YAML or JSON, given with \`wedge start --config FILE\`. Without
\`--config\`, \`wedge start\` runs a built-in config (see [the end of this page](#built-in-default-config)).
Check a file without starting anything with \`wedge check --config FILE\`.

A minimal config that proxies every host to two origins:

\`\`\`yaml
listen: 0.0.0.0:8080
sites:
  - name: app
    origins:
      - http://10.0.0.11:9000
      - http://10.0.0.12:9000
\`\`\`

## File format

- \`.json\` files are read as JSON; \`.yaml\`, \`.yml\` and any other name as YAML 1.2 (so \`yes\` is a
  string, not \`true\`). Duplicate keys are an error.
- Every mapping is strict: an unknown (for example misspelt) key is an error that names its path
  and suggests the key you probably meant.
- Durations are a number of milliseconds or a string with a unit: \`500ms\`, \`30s\`, \`5m\`, \`1h\`,
  \`2d\`. Sizes are a number of bytes or a string with a unit: \`512B\`, \`64KB\` (1000 bytes),
  \`64KiB\` (1024 bytes), \`16MiB\`, \`1GiB\`.
- Addresses are \`"host:port"\`, \`":port"\` or a bare port; the host defaults to \`127.0.0.1\` and IPv6
  hosts go in brackets (\`"[::1]:8080"\`). Port \`0\` picks a free port (the \`listening\` log line
  tells which).

## Environment variables

String values may contain \`\${NAME}\`, replaced by the environment variable \`NAME\`, and
\`\${NAME:-default}\`, which uses \`default\` when \`NAME\` is unset or empty. \`$\${\` writes a literal
\`\${\`. A variable that is unset and has no default is an error naming the key and the variable.

\`\`\`yaml
sites:
  - name: api
    origins: ["\${API_ORIGIN:-http://127.0.0.1:9000}"]
    limits:
      max_connections: \${API_MAX_CONNECTIONS:-10000}
\`\`\`

- Interpolation happens after the file is parsed, so a value containing quotes, colons or
  newlines cannot change the file's structure. Keys are never interpolated.
- Inside a flow collection (\`{ … }\` or \`[ … ]\`), quote the reference: \`{ key: "\${KEY_FILE}" }\`.
- Where the key expects a number or a boolean, an interpolated value such as \`"10000"\` or
  \`"false"\` is converted.
- Values that came from the environment are never printed in error messages (they may be
  secrets); the message names the variable instead.

## Relative paths

File paths in the config (\`listeners[].tls\`, \`sites[].tls\`, \`sites[].origin_tls.ca\`, \`data_dir\`)
are relative to the directory of the config file, not to the working directory. The built-in
config's \`data_dir\` is \`.wedge\` under the working directory.

## Validation

Every problem is reported at once, each with its key path, its line in the file, the value
found (when short, and never one from the environment) and what was expected. \`wedge check\`
and \`wedge start\` exit with status 2 on an invalid config. This file:

\`\`\`yaml
SAMPLE_CONFIG
\`\`\`

gives (with \`CHAT_KEY_FILE\` unset):

\`\`\`text
SAMPLE_ERRORS
\`\`\`

Besides each key's own type, these rules are checked:

- a site has exactly one of \`origins\` or \`builtin\`;
- site names are unique, and no two sites claim the same host with the same \`path_prefix\`;
- \`balance.policy: hash\` needs \`balance.hash_on\`, and \`hash_on\` is only allowed with it;
- \`ws.ping_timeout\` is shorter than \`ws.ping_interval\` and \`ws.origin_ping_interval\` when they are on;
- \`health_check.timeout\` is shorter than \`health_check.interval\`;
- no two listeners (or a listener and \`admin.listen\`) share an address;
- every TLS certificate, key and CA file can be read and parsed, and each certificate matches its key.

## Reloading

\`kill -HUP <pid>\` or \`wedge reload --config FILE\` (which validates the file first, then signals
the pid in \`<data_dir>/wedge.pid\`) makes a running edge read its config file again. New
connections use the new config; open connections keep going. An invalid new config is logged
and the running config stays. Listener changes (\`listen\`, \`listeners\`) need a restart.

## Reference

In the tables, *required* keys must be given; \`—\` means the key is off or unset when absent.
`

/** A config with typical mistakes; docs.ts shows the real messages for it. */
export const SAMPLE_CONFIG = `listen: 0.0.0.0:8080
sites:
  - name: api
    hosts: [api.example.com]
    orign: http://10.0.0.11:9000
    balance:
      policy: round-robin
  - name: chat
    hosts: [chat.example.com]
    origins: [http://10.0.0.21:9000]
    ws:
      ping_interval: 5s
      ping_timeout: 10s
    tls:
      cert: certs/chat.pem
      key: \${CHAT_KEY_FILE}
  - name: chat
    hosts: [chat.example.com]
    builtin: welcome`

export const OUTRO = `## Built-in default config

\`wedge start\` without \`--config\` runs this config: the builtin \`welcome\` site serves a page at
\`/\` and a WebSocket echo at \`/echo\`, and the \`examples/chat\` app (found in the installed
package) runs at \`/chat/\`. \`--listen\` replaces its address.

\`\`\`yaml
BUILTIN_CONFIG
\`\`\`
`
