/// <reference path="./index.d.ts" />
/**
 * Sandboxed preload (built as CommonJS to out/preload/index.cjs). Exposes a small, typed API on
 * `window.brokerscope`; never a generic ipcRenderer passthrough.
 */
import { contextBridge } from 'electron'
import { version } from '../../package.json'

const api: Window['brokerscope'] = Object.freeze({ version })

contextBridge.exposeInMainWorld('brokerscope', api)
