/** GET /settings (secrets left out) and PUT /settings: the same validator and effect as the Settings view. */
import type { BrokerSettings } from '../../../shared/settings'
import { isSecretSetting } from '../../../shared/settings'
import type { RouteModule } from '../context'
import { apiError } from '../context'
import { ERROR_SCHEMA, settingsSchema } from '../schemas'

function visible(settings: BrokerSettings): Partial<BrokerSettings> {
  const shown: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(settings)) if (!isSecretSetting(key as keyof BrokerSettings)) shown[key] = value
  return shown as Partial<BrokerSettings>
}

const SETTINGS_ERROR_SCHEMA = {
  ...ERROR_SCHEMA,
  properties: {
    ...ERROR_SCHEMA.properties,
    errors: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, message: { type: 'string' } } } }
  }
} as const

export const settingsRoutes: RouteModule = (app, { broker }) => {
  app.get(
    '/settings',
    {
      schema: {
        tags: ['Settings'],
        summary: 'The settings in force (the API key is not shown)',
        response: { 200: settingsSchema({ forWriting: false }) }
      }
    },
    async () => visible(broker.getSettings())
  )

  app.put<{ Body: Partial<BrokerSettings> }>(
    '/settings',
    {
      schema: {
        tags: ['Settings'],
        summary: 'Change settings while running (only the keys given); saved like changes from the Settings view',
        body: settingsSchema({ forWriting: true }),
        response: { 200: settingsSchema({ forWriting: false }), 400: SETTINGS_ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const result = await broker.updateSettings(request.body, 'api')
      if (!result.ok) {
        const message = result.errors
          .map((e) =>
            e.key ? `body.${e.key}: ${e.message.startsWith(`${e.key} `) ? e.message.slice(e.key.length + 1) : e.message}` : e.message
          )
          .join('; ')
        return reply.code(400).send({ ...apiError('BAD_REQUEST', message), errors: result.errors })
      }
      return visible(result.settings)
    }
  )
}
