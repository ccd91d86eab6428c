import { create } from 'zustand'
import type { PublishCommand, SavedMessage } from '../../../shared/api'
import { getApi } from '../api'
import {
  buildPublishCommand,
  EMPTY_PUBLISH_FORM,
  formFromCommand,
  parseHistory,
  pushHistory,
  savedFromCommand,
  type HistoryEntry,
  type PublishForm,
  type PublishFormErrors
} from '../lib/publish-form'
import { readStored, writeStored } from '../lib/storage'

const HISTORY_KEY = 'brokerscope.publishHistory'

export interface PublishResult {
  ok: boolean
  text: string
  time: number
}

export interface PublishState {
  form: PublishForm
  errors: PublishFormErrors
  busy: boolean
  result: PublishResult | null
  /** Newest first, at most 50, kept in localStorage. */
  history: HistoryEntry[]
  /** Named messages kept by the broker app across restarts. */
  saved: SavedMessage[]
  savedError: string | null

  setForm(patch: Partial<PublishForm>): void
  loadCommand(command: PublishCommand): void
  publish(): Promise<void>
  resend(command: PublishCommand): Promise<void>
  clearHistory(): void
  loadSaved(): Promise<void>
  save(name: string): Promise<boolean>
  deleteSaved(name: string): Promise<void>
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export const usePublishStore = create<PublishState>()((set, get) => {
  async function send(command: PublishCommand): Promise<void> {
    set({ busy: true })
    try {
      const { recipients } = await getApi().call('publish', command)
      const history = pushHistory(get().history, { time: Date.now(), command })
      writeStored(HISTORY_KEY, JSON.stringify(history))
      set({
        history,
        result: {
          ok: true,
          text: `Published to ${command.topic} — delivered to ${recipients} subscriber${recipients === 1 ? '' : 's'}`,
          time: Date.now()
        }
      })
    } catch (error) {
      set({ result: { ok: false, text: `Publish failed: ${errorText(error)}`, time: Date.now() } })
    } finally {
      set({ busy: false })
    }
  }

  return {
    form: EMPTY_PUBLISH_FORM,
    errors: {},
    busy: false,
    result: null,
    history: parseHistory(readStored(HISTORY_KEY)),
    saved: [],
    savedError: null,

    setForm: (patch) =>
      set((state) => {
        // Editing a field clears its error.
        const errors = { ...state.errors }
        for (const key of Object.keys(patch)) delete errors[key as keyof PublishFormErrors]
        return { form: { ...state.form, ...patch }, errors }
      }),

    loadCommand: (command) => set({ form: formFromCommand(command), errors: {} }),

    publish: async () => {
      if (get().busy) return
      const built = buildPublishCommand(get().form)
      if (!built.ok) {
        set({ errors: built.errors, result: { ok: false, text: 'Fix the highlighted fields first', time: Date.now() } })
        return
      }
      set({ errors: {} })
      await send(built.command)
    },

    resend: async (command) => {
      if (get().busy) return
      await send(command)
    },

    clearHistory: () => {
      writeStored(HISTORY_KEY, '[]')
      set({ history: [] })
    },

    loadSaved: async () => {
      try {
        set({ saved: await getApi().call('listSavedMessages'), savedError: null })
      } catch (error) {
        set({ savedError: `Could not load saved messages: ${errorText(error)}` })
      }
    },

    save: async (name) => {
      const trimmed = name.trim()
      if (trimmed === '') {
        set({ savedError: 'Give the message a name to save it' })
        return false
      }
      const built = buildPublishCommand(get().form)
      if (!built.ok) {
        set({ errors: built.errors, savedError: 'Fix the highlighted fields before saving' })
        return false
      }
      try {
        set({ saved: await getApi().call('saveMessage', savedFromCommand(trimmed, built.command)), savedError: null })
        return true
      } catch (error) {
        set({ savedError: `Could not save: ${errorText(error)}` })
        return false
      }
    },

    deleteSaved: async (name) => {
      try {
        set({ saved: await getApi().call('deleteSavedMessage', name), savedError: null })
      } catch (error) {
        set({ savedError: `Could not delete: ${errorText(error)}` })
      }
    }
  }
})
