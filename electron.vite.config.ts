import { execFileSync } from 'node:child_process'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

const projectRoot = fileURLToPath(new URL('.', import.meta.url))

/**
 * Fails the main build when the headless entry (out/main/cli.js, plain Node) reaches `electron`
 * through any static or dynamic import, directly or via a shared chunk.
 */
function headlessMustNotImportElectron(entry: string): Plugin {
  return {
    name: 'brokerscope:headless-without-electron',
    apply: 'build',
    generateBundle(_options, bundle) {
      const start = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === entry)
      if (start?.type !== 'chunk') return
      const seen = new Set<string>()
      const queue: Array<{ file: string; via: string[] }> = [{ file: start.fileName, via: [] }]
      while (queue.length > 0) {
        const { file, via } = queue.shift()!
        if (seen.has(file)) continue
        seen.add(file)
        const chunk = bundle[file]
        if (chunk?.type !== 'chunk') continue
        for (const id of [...chunk.imports, ...chunk.dynamicImports]) {
          if (id === 'electron' || id.startsWith('electron/')) {
            this.error(`${[...via, file].join(' -> ')} imports "${id}"; the headless CLI must never import electron`)
          }
          queue.push({ file: id, via: [...via, file] })
        }
      }
    }
  }
}

/** "<short commit> <UTC date>" for the About box and the log; the date alone outside a git checkout. */
function buildStamp(): string {
  const date = new Date().toISOString().slice(0, 10)
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: projectRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim()
    return `${commit} ${date}`
  } catch {
    return date
  }
}

// Three builds: main (Electron entry + the headless CLI), preload (sandboxed, so CommonJS) and the
// React renderer. Packages listed under "dependencies" (ws, mqtt-packet, json5) are externalized
// for main and preload by electron-vite's default `build.externalizeDeps: true`.
export default defineConfig({
  main: {
    plugins: [headlessMustNotImportElectron('cli')],
    define: { __BROKERSCOPE_BUILD__: JSON.stringify(buildStamp()) },
    build: {
      outDir: resolve(projectRoot, 'out/main'),
      // out/main/cli.js runs on plain Node 20 (Electron 45 embeds Node 24), so target the lower one.
      target: 'node20',
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          // The Electron entry (package.json "main": out/main/index.js).
          index: resolve(projectRoot, 'src/main/index.ts'),
          // The headless broker: plain Node, must never import electron.
          cli: resolve(projectRoot, 'src/main/headless/cli.ts')
        },
        // package.json has "type": "module", so the default format is ESM (.js).
        output: { entryFileNames: '[name].js' }
      }
    }
  },
  preload: {
    build: {
      outDir: resolve(projectRoot, 'out/preload'),
      rolldownOptions: {
        input: { index: resolve(projectRoot, 'src/preload/index.ts') },
        // A sandboxed preload must be CommonJS; .cjs because package.json says "type": "module".
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(projectRoot, 'src/renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(projectRoot, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(projectRoot, 'src/renderer/index.html') }
      }
    }
  }
})
