import { create } from 'zustand'
import type { GeneratorSpec, RecordingFile, ToolStatus } from '../../../../shared/tools-api'
import { getApi } from '../../api'

/**
 * The tools' state as the UI sees it: the status of generators, recording and replay (polled
 * while a view that shows it is open: the API has commands and inspector batches, and tool status
 * is not part of the batches), the saved generators and the recordings on disk.
 */
export interface ToolsState {
  status: ToolStatus | null
  generators: GeneratorSpec[]
  recordings: RecordingFile[]
  error: string | null
  refresh(): Promise<void>
  loadGenerators(): Promise<void>
  loadRecordings(): Promise<void>
  /** Poll the status while the returned function has not been called (reference-counted). */
  watch(): () => void
}

const POLL_MS = 500
let watchers = 0
let timer: ReturnType<typeof setInterval> | null = null

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export const useToolsStore = create<ToolsState>()((set, get) => ({
  status: null,
  generators: [],
  recordings: [],
  error: null,

  refresh: async () => {
    try {
      set({ status: await getApi().call('toolStatus'), error: null })
    } catch (error) {
      set({ error: errorText(error) })
    }
  },

  loadGenerators: async () => {
    try {
      set({ generators: await getApi().call('listGenerators') })
    } catch (error) {
      set({ error: errorText(error) })
    }
  },

  loadRecordings: async () => {
    try {
      set({ recordings: await getApi().call('listRecordings') })
    } catch (error) {
      set({ error: errorText(error) })
    }
  },

  watch: () => {
    watchers++
    if (timer === null) {
      void get().refresh()
      timer = setInterval(() => void get().refresh(), POLL_MS)
    }
    let active = true
    return () => {
      if (!active) return
      active = false
      watchers--
      if (watchers === 0 && timer !== null) {
        clearInterval(timer)
        timer = null
      }
    }
  }
}))
