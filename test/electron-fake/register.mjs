// `node --import tsx --import ./test/electron-fake/register.mjs out/main/index.js` runs the built
// Electron entry on the fake (electron.ts). tsx (registered first) compiles the fake's TypeScript.
import { register } from 'node:module'

register('./resolve-hook.mjs', import.meta.url)
process.on('disconnect', () => process.exit(1))
