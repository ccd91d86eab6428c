/**
 * The JSON schemas the API validates with; @fastify/swagger turns the same route schemas into the
 * OpenAPI document (/api/v5/openapi.json), so the two cannot disagree. Settings schemas come from
 * SETTING_FIELDS, the one table every other edge validates with.
 */
import { SETTING_FIELDS, isSecretSetting, type BrokerSettings } from '../../shared/settings'

type Schema = Record<string, unknown>

export const ERROR_SCHEMA = {
  type: 'object',
  description: 'An error, as EMQX reports them',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message']
} as const satisfies Schema

export const PAGE_QUERY = {
  page: { type: 'integer', minimum: 1, default: 1, description: 'page number, from 1' },
  limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100, description: 'rows per page' }
} as const

export const META_SCHEMA = {
  type: 'object',
  properties: {
    page: { type: 'integer' },
    limit: { type: 'integer' },
    count: { type: 'integer', description: 'rows matching, before paging' },
    hasnext: { type: 'boolean' }
  }
} as const satisfies Schema

export function pageOf(item: Schema): Schema {
  return { type: 'object', properties: { data: { type: 'array', items: item }, meta: META_SCHEMA } }
}

const nullableString = { type: 'string', nullable: true } as const
const nullableInteger = { type: 'integer', nullable: true } as const

export const CLIENT_SCHEMA = {
  type: 'object',
  properties: {
    clientid: { type: 'string' },
    username: nullableString,
    connected: { type: 'boolean' },
    conn_state: { type: 'string', enum: ['connected', 'disconnected'] },
    ip_address: nullableString,
    port: nullableInteger,
    listener: { ...nullableString, description: 'tcp, ws, tls, wss or unix' },
    proto_name: { type: 'string' },
    proto_ver: { type: 'integer' },
    clean_start: { type: 'boolean' },
    keepalive: { type: 'integer' },
    expiry_interval: { type: 'integer' },
    connected_at: { ...nullableString, format: 'date-time' },
    disconnected_at: { ...nullableString, format: 'date-time' },
    subscriptions_cnt: { type: 'integer' },
    inflight_cnt: { type: 'integer' },
    mqueue_len: { type: 'integer' },
    recv_msg: { type: 'integer' },
    send_msg: { type: 'integer' },
    node: { type: 'string' }
  }
} as const satisfies Schema

export const SUBSCRIPTION_SCHEMA = {
  type: 'object',
  properties: {
    clientid: { type: 'string' },
    topic: { type: 'string', description: 'the filter as subscribed, with any $share/group/ prefix' },
    qos: { type: 'integer' },
    nl: { type: 'integer', enum: [0, 1] },
    rap: { type: 'integer', enum: [0, 1] },
    rh: { type: 'integer', enum: [0, 1, 2] },
    share_group: nullableString,
    node: { type: 'string' }
  }
} as const satisfies Schema

export const CLIENT_ID_PARAMS = {
  type: 'object',
  properties: { clientid: { type: 'string', minLength: 1 } },
  required: ['clientid']
} as const satisfies Schema

export const QOS = { type: 'integer', enum: [0, 1, 2] } as const

/** v5 PUBLISH properties in EMQX's names; each is checked again in UTF-8 bytes (publish-properties.ts). */
export const PUBLISH_PROPERTIES_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    payload_format_indicator: { type: 'integer', enum: [0, 1] },
    message_expiry_interval: { type: 'integer', minimum: 0, maximum: 4294967295 },
    content_type: { type: 'string' },
    response_topic: { type: 'string', minLength: 1 },
    correlation_data: { type: 'string', description: 'base64' },
    user_properties: {
      type: 'object',
      description: 'name → value (a list of values for a repeated name)',
      additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }
    }
  }
} as const satisfies Schema

export const PUBLISH_MESSAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['topic'],
  properties: {
    topic: { type: 'string', minLength: 1 },
    payload: { type: 'string', default: '' },
    payload_encoding: { type: 'string', enum: ['plain', 'base64'], default: 'plain' },
    qos: { ...QOS, default: 0 },
    retain: { type: 'boolean', default: false },
    clientid: { type: 'string', description: 'accepted for EMQX compatibility; the message is published by the broker' },
    properties: PUBLISH_PROPERTIES_SCHEMA
  }
} as const satisfies Schema

export const PUBLISH_RESULT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    reason_code: { type: 'integer', description: '16 (no matching subscribers), as EMQX' },
    message: { type: 'string' }
  }
} as const satisfies Schema

/** One setting's schema, from SETTING_FIELDS. */
function settingSchema(key: keyof BrokerSettings): Schema {
  const field = SETTING_FIELDS[key]
  switch (field.kind) {
    case 'boolean':
      return { type: 'boolean', description: field.help }
    case 'integer':
      return { type: 'integer', minimum: field.min, maximum: field.max, nullable: field.nullable === true, description: field.help }
    case 'enum':
      return {
        ...(field.values.every((v) => typeof v === 'number') ? { type: 'integer' } : { type: 'string' }),
        enum: [...field.values],
        description: field.help
      }
    case 'string':
      return { type: 'string', nullable: field.nullable === true, description: field.help }
  }
}

/** Every setting (GET leaves secrets out; PUT accepts them). */
export function settingsSchema(options: { forWriting: boolean }): Schema {
  const properties: Record<string, Schema> = {}
  for (const key of Object.keys(SETTING_FIELDS) as Array<keyof BrokerSettings>) {
    if (!options.forWriting && isSecretSetting(key)) continue
    properties[key] = settingSchema(key)
  }
  return { type: 'object', additionalProperties: false, properties }
}
