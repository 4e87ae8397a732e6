import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchApp } from './app-sources.js'

/**
 * A workerd config (Cap'n Proto text) serving one bench app on 127.0.0.1:port, with
 * in-memory Durable Object storage. Writes config.capnp and the module into `dir`.
 */
export function writeWorkerdConfig(dir: string, app: BenchApp, port: number): string {
  writeFileSync(join(dir, app.file), app.code)
  const objects = app.objects.length === 0 ? [] : [
    `  durableObjectNamespaces = [${app.objects.map((o) => `(className = "${o.className}", uniqueKey = "wedge-bench-${o.className}")`).join(', ')}],`,
    '  durableObjectStorage = (inMemory = void),',
    `  bindings = [${app.objects.map((o) => `(name = "${o.binding}", durableObjectNamespace = "${o.className}")`).join(', ')}],`,
  ]
  const config = [
    'using Workerd = import "/workerd/workerd.capnp";',
    '',
    'const config :Workerd.Config = (',
    '  services = [(name = "main", worker = .app)],',
    `  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],`,
    ');',
    '',
    'const app :Workerd.Worker = (',
    '  compatibilityDate = "2025-01-01",',
    `  modules = [(name = "${app.file}", esModule = embed "${app.file}")],`,
    ...objects,
    ');',
    '',
  ].join('\n')
  const file = join(dir, 'config.capnp')
  writeFileSync(file, config)
  return file
}
