import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { parse } from 'smol-toml'
import { EXAMPLES_DIR, onCleanup, tempDir } from './example-harness.js'

/**
 * Runs an example on workerd, the open-source runtime of Cloudflare Workers (the `workerd`
 * devDependency), so the examples are shown to be plain Workers code and not Wedge dialect.
 */
export const WORKERD = fileURLToPath(new URL('../../../node_modules/workerd/bin/workerd', import.meta.url))

export const workerdMissing = existsSync(WORKERD) ? false : `${WORKERD} is missing: run npm install to get the workerd devDependency`

interface Wrangler {
  compatibility_date: string
  vars?: Record<string, string>
  durable_objects: { bindings: { name: string; class_name: string }[] }
}

/** Starts workerd serving the example (bundled like wrangler: .html as text); killed after the test. */
export async function startOnWorkerd(t: TestContext, example: string, vars: Record<string, string> = {}): Promise<{ httpUrl: string; wsUrl: string }> {
  const dir = tempDir(t, `wedge-workerd-${example}-`)
  const wrangler = parse(readFileSync(path.join(EXAMPLES_DIR, example, 'wrangler.toml'), 'utf8')) as unknown as Wrangler
  await build({
    entryPoints: [path.join(EXAMPLES_DIR, example, 'src', 'index.ts')],
    bundle: true, format: 'esm', loader: { '.html': 'text' }, external: ['cloudflare:workers'],
    outfile: path.join(dir, 'worker.js'), logLevel: 'silent',
  })
  mkdirSync(path.join(dir, 'storage'))
  const port = await freePort()
  const bindings = [
    ...wrangler.durable_objects.bindings.map((binding) => `(name = "${binding.name}", durableObjectNamespace = "${binding.class_name}")`),
    ...Object.entries({ ...wrangler.vars, ...vars }).map(([name, value]) => `(name = "${name}", text = ${JSON.stringify(value)})`),
  ]
  const namespaces = wrangler.durable_objects.bindings.map((binding) => `(className = "${binding.class_name}", uniqueKey = "${binding.class_name}", enableSql = true)`)
  writeFileSync(path.join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .app), (name = "storage", disk = (path = ${JSON.stringify(path.join(dir, 'storage'))}, writable = true))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const app :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.js")],
  compatibilityDate = "${wrangler.compatibility_date}",
  bindings = [${bindings.join(', ')}],
  durableObjectNamespaces = [${namespaces.join(', ')}],
  durableObjectStorage = (localDisk = "storage"),
);
`)
  const child = spawn(WORKERD, ['serve', path.join(dir, 'config.capnp'), '--experimental'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  onCleanup(t, async () => {
    child.kill('SIGKILL')
    await exited
  })
  const httpUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited: ${output}`)
    const up = await fetch(httpUrl, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false)
    if (up) break
    if (Date.now() > deadline) throw new Error(`workerd did not listen within 10 s: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { httpUrl, wsUrl: `ws://127.0.0.1:${port}` }
}

/** A port free right now (workerd takes a fixed address, not port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
