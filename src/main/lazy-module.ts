import { createRequire } from 'node:module'

const requireHere = createRequire(import.meta.url)

/**
 * A dependency loaded the first time it is used instead of at start: the broker starts without
 * MQTT.js (bridges, tools), YAML, TOML and the schema decoders unless a feature needs them (each
 * took 35–110 ms of a 614 ms empty start; see "Restart with a full store" in docs/benchmarks.md).
 * Synchronous (require), so the callers stay as they are.
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined
  return () => {
    if (loaded === undefined) loaded = requireHere(id) as T
    return loaded
  }
}
