// Module resolve hook (registered by register.mjs): `electron` is the fake in electron.ts.
const FAKE = new URL('./electron.ts', import.meta.url).href

export async function resolve(specifier, context, nextResolve) {
  // Through the next hooks (tsx) so the TypeScript file is compiled.
  if (specifier === 'electron') return nextResolve(FAKE, context)
  if (specifier.startsWith('electron/')) throw new Error(`electron fake: "${specifier}" is not modelled`)
  return nextResolve(specifier, context)
}
