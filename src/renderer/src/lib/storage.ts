/**
 * localStorage without DOM types and without throwing: absent (tests, locked-down pages) or
 * full storage reads as empty and ignores writes.
 */
interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

function storage(): KeyValueStorage | null {
  try {
    const candidate = (globalThis as { localStorage?: KeyValueStorage }).localStorage
    return candidate ?? null
  } catch {
    return null
  }
}

export function readStored(key: string): string | null {
  try {
    return storage()?.getItem(key) ?? null
  } catch {
    return null
  }
}

export function writeStored(key: string, value: string): void {
  try {
    storage()?.setItem(key, value)
  } catch {
    // Full or unavailable: the value only lives for this session.
  }
}
