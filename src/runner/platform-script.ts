/**
 * The in-isolate platform as one script: `platform/` bundled by esbuild at first use (once per
 * runner process) and compiled per isolate with V8's code cache from the first compile.
 */
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import ivm from 'isolated-vm'

let source: string | undefined
let codeCache: ivm.ExternalCopy<ArrayBuffer> | undefined

/** The bundle's text: an expression whose value is the platform's `setup` function. */
export function platformSource(): string {
  if (source === undefined) {
    const entry = fileURLToPath(new URL('./platform/platform-main.js', import.meta.url))
    const result = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: '__wedgePlatform',
      platform: 'neutral',
      target: 'es2022',
      legalComments: 'none',
      logLevel: 'silent',
    })
    // Wrapped so the bundle's one `var` stays local: nothing but the platform's own globals leak.
    source = `(function () {\n${result.outputFiles[0]!.text}\nreturn __wedgePlatform.setup;\n})()`
  }
  return source
}

/** Compiles and runs the platform in `context`; returns a reference to its setup function. */
export function runPlatform(isolate: ivm.Isolate, context: ivm.Context, timeout: number): ivm.Reference {
  const script = isolate.compileScriptSync(platformSource(), {
    filename: 'wedge:platform',
    ...(codeCache === undefined ? { produceCachedData: true } : { cachedData: codeCache }),
  })
  const produced = (script as ivm.Script & ivm.CachedDataResult).cachedData
  if (codeCache === undefined && produced !== undefined) codeCache = produced
  const setup = script.runSync(context, { reference: true, timeout }) as ivm.Reference
  script.release()
  return setup
}
