/**
 * Saved messages (the publish form's "save as…") kept in one JSON file:
 *
 *   { "version": 1, "messages": [ { "name": "…", "topic": "…", "payload": "…", "qos": 0, "retain": false } ] }
 *
 * Every entry is validated when the file is read and when it is saved; names are unique; the list
 * is bounded (MAX_SAVED_MESSAGES). Bad entries in the file are dropped and reported, the good ones
 * kept, and the original file is preserved aside (see JsonFileStore).
 */
import type { JsonMessageProperties, SavedMessage } from '../../shared/api'
import { validateTopicName } from '../broker/topics/topic-validation'
import type { SavedMessageStore } from '../inspector/saved-messages'
import { JsonFileStore, Salvaged, type LoadResult } from './json-file-store'

export const MAX_SAVED_MESSAGES = 500
export const MAX_NAME_LENGTH = 100
/** A saved payload is a convenience, not a file store: keep each one under 1 MiB of text. */
export const MAX_PAYLOAD_CHARS = 1024 * 1024

const FILE_VERSION = 1

interface SavedMessagesFile {
  version: typeof FILE_VERSION
  messages: SavedMessage[]
}

export class SavedMessageFileStore implements SavedMessageStore {
  private readonly file: JsonFileStore<SavedMessagesFile>
  private messages: SavedMessage[]
  /** Why the file was not used as is when it was loaded (null when it was fine or absent). */
  readonly problem: string | null

  constructor(path: string) {
    this.file = new JsonFileStore(path, parseSavedMessagesFile, { version: FILE_VERSION, messages: [] })
    const loaded: LoadResult<SavedMessagesFile> = this.file.load()
    this.messages = loaded.value.messages
    this.problem = loaded.problem
  }

  list(): SavedMessage[] {
    return this.messages.map(copyMessage)
  }

  /** Add a message, or replace the one with the same name (keeping its place). Throws when invalid or full. */
  save(message: SavedMessage): SavedMessage[] {
    const checked = parseSavedMessage(message)
    if (typeof checked === 'string') throw new Error(`cannot save message: ${checked}`)
    const index = this.messages.findIndex((m) => m.name === checked.name)
    const next = [...this.messages]
    if (index >= 0) next[index] = checked
    else if (next.length >= MAX_SAVED_MESSAGES) {
      throw new Error(`cannot save message: at most ${MAX_SAVED_MESSAGES} saved messages; delete some first`)
    } else next.push(checked)
    this.write(next)
    return this.list()
  }

  /** Remove a message by name; removing a name that does not exist is not an error. */
  delete(name: string): SavedMessage[] {
    if (typeof name !== 'string') throw new Error('cannot delete message: name must be a string')
    const next = this.messages.filter((m) => m.name !== name)
    if (next.length !== this.messages.length) this.write(next)
    return this.list()
  }

  /** Disk first, memory second: a failed write leaves the list as it was. */
  private write(messages: SavedMessage[]): void {
    this.file.save({ version: FILE_VERSION, messages })
    this.messages = messages
  }
}

/** The file validator: unusable structure is an Error; bad, duplicate or surplus entries are salvaged. */
export function parseSavedMessagesFile(raw: unknown): SavedMessagesFile | Error | Salvaged<SavedMessagesFile> {
  if (!isRecord(raw)) return new Error('expected an object like { "version": 1, "messages": [] }')
  if (raw.version !== FILE_VERSION) return new Error(`unsupported version ${JSON.stringify(raw.version)} (expected ${FILE_VERSION})`)
  if (!Array.isArray(raw.messages)) return new Error('"messages" must be an array')

  const messages: SavedMessage[] = []
  const names = new Set<string>()
  const problems: string[] = []
  for (const [index, entry] of (raw.messages as unknown[]).entries()) {
    const checked = parseSavedMessage(entry)
    if (typeof checked === 'string') {
      problems.push(`messages[${index}]: ${checked}`)
      continue
    }
    if (names.has(checked.name)) {
      problems.push(`messages[${index}]: duplicate name "${checked.name}"`)
      continue
    }
    if (messages.length >= MAX_SAVED_MESSAGES) {
      problems.push(`messages[${index}]: more than ${MAX_SAVED_MESSAGES} messages`)
      continue
    }
    names.add(checked.name)
    messages.push(checked)
  }
  const value: SavedMessagesFile = { version: FILE_VERSION, messages }
  return problems.length > 0 ? new Salvaged(value, problems) : value
}

/** Validate one untrusted entry; returns a clean copy (unknown keys dropped) or what is wrong with it. */
export function parseSavedMessage(raw: unknown): SavedMessage | string {
  if (!isRecord(raw)) return 'must be an object'
  const { name, topic, payload, payloadEncoding, qos, retain, properties } = raw
  if (typeof name !== 'string' || name.trim().length === 0) return 'name must be a non-empty string'
  if (name.length > MAX_NAME_LENGTH) return `name must be at most ${MAX_NAME_LENGTH} characters`
  if (typeof topic !== 'string') return 'topic must be a string'
  const topicProblem = validateTopicName(topic)
  if (topicProblem) return `topic ${topicProblem}`
  if (typeof payload !== 'string') return 'payload must be a string'
  if (payload.length > MAX_PAYLOAD_CHARS) return `payload must be at most ${MAX_PAYLOAD_CHARS} characters`
  if (payloadEncoding !== undefined && payloadEncoding !== 'utf8' && payloadEncoding !== 'base64') {
    return 'payloadEncoding must be "utf8" or "base64"'
  }
  if (payloadEncoding === 'base64' && !isBase64(payload)) return 'payload is not valid base64'
  if (qos !== 0 && qos !== 1 && qos !== 2) return 'qos must be 0, 1 or 2'
  if (typeof retain !== 'boolean') return 'retain must be true or false'

  const message: SavedMessage = { name, topic, payload, qos, retain }
  if (payloadEncoding !== undefined) message.payloadEncoding = payloadEncoding
  if (properties !== undefined) {
    const checked = parseProperties(properties)
    if (typeof checked === 'string') return `properties: ${checked}`
    message.properties = checked
  }
  return message
}

function parseProperties(raw: unknown): JsonMessageProperties | string {
  if (!isRecord(raw)) return 'must be an object'
  const out: JsonMessageProperties = {}
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'payloadFormatIndicator':
        if (typeof value !== 'boolean') return `${key} must be true or false`
        out.payloadFormatIndicator = value
        break
      case 'messageExpiryInterval':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
          return `${key} must be a whole number of seconds (0 to 4294967295)`
        }
        out.messageExpiryInterval = value
        break
      case 'contentType':
        if (typeof value !== 'string') return `${key} must be a string`
        out.contentType = value
        break
      case 'responseTopic': {
        if (typeof value !== 'string') return `${key} must be a string`
        const problem = validateTopicName(value)
        if (problem) return `${key}: ${problem}`
        out.responseTopic = value
        break
      }
      case 'correlationData':
        if (typeof value !== 'string' || !isBase64(value)) return `${key} must be a base64 string`
        out.correlationData = value
        break
      case 'userProperties': {
        if (!isRecord(value)) return `${key} must be an object of strings`
        const props: Record<string, string | string[]> = {}
        for (const [k, v] of Object.entries(value)) {
          if (typeof v === 'string' || (Array.isArray(v) && v.every((item) => typeof item === 'string'))) props[k] = v
          else return `${key}.${k} must be a string or a list of strings`
        }
        out.userProperties = props
        break
      }
      default:
        return `unknown property "${key}"`
    }
  }
  return out
}

function copyMessage(message: SavedMessage): SavedMessage {
  return structuredClone(message)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isBase64(value: string): boolean {
  return value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value)
}
