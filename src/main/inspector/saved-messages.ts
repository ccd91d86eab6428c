import type { SavedMessage } from '../../shared/api'

/**
 * Where the publish form's saved messages live. Names are unique: saving under an existing name
 * replaces that entry. Every method returns the whole list afterwards, so the UI never has to
 * merge. Callers (the inspector) validate a message before it gets here.
 */
export interface SavedMessageStore {
  list(): SavedMessage[]
  save(message: SavedMessage): SavedMessage[]
  delete(name: string): SavedMessage[]
}

/** Kept in memory only (tests, and the fallback when no file store is configured). */
export class MemorySavedMessageStore implements SavedMessageStore {
  private readonly messages: SavedMessage[] = []

  constructor(initial: readonly SavedMessage[] = []) {
    for (const message of initial) this.save(message)
  }

  list(): SavedMessage[] {
    return this.messages.map(copy)
  }

  save(message: SavedMessage): SavedMessage[] {
    const index = this.messages.findIndex((m) => m.name === message.name)
    // Replace in place so a re-saved message keeps its position in the list.
    if (index >= 0) this.messages[index] = copy(message)
    else this.messages.push(copy(message))
    return this.list()
  }

  delete(name: string): SavedMessage[] {
    const index = this.messages.findIndex((m) => m.name === name)
    if (index >= 0) this.messages.splice(index, 1)
    return this.list()
  }
}

/** Callers must not be able to mutate the stored entries through what they get back. */
function copy(message: SavedMessage): SavedMessage {
  return structuredClone(message)
}
