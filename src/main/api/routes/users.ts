/**
 * PMQ's users (create_user), kept in the auth file: GET /users, POST /users { username, password }
 * (adds, or changes the password), DELETE /users/{username}. After a change the broker re-reads
 * the file, so the user can connect (and use the API with basic auth) at once.
 */
import type { RouteModule } from '../context'
import { apiError } from '../context'
import { AuthFileUsers } from '../users-file'
import { ERROR_SCHEMA } from '../schemas'

const TAGS = ['Users']
const USER_SCHEMA = { type: 'object', properties: { username: { type: 'string' } } } as const

export const userRoutes: RouteModule = (app, { broker, logger }) => {
  const users = new AuthFileUsers()
  const authFile = (): string | null => broker.getSettings().authFile
  const noFile = apiError('NO_AUTH_FILE', 'no auth file is configured: set authFile (the users live there)')

  app.get(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'The users of the auth file',
        response: { 200: { type: 'array', items: USER_SCHEMA }, 409: ERROR_SCHEMA }
      }
    },
    async (_request, reply) => {
      const path = authFile()
      if (path === null) return reply.code(409).send(noFile)
      const listed = await users.list(path)
      if (!listed.ok) return reply.code(listed.status).send(apiError('AUTH_FILE_ERROR', listed.message))
      return listed.value.map((username) => ({ username }))
    }
  )

  app.post<{ Body: { username: string; password: string } }>(
    '/users',
    {
      schema: {
        tags: TAGS,
        summary: 'Add a user, or change its password (hashed with scrypt, as `brokerscope passwd`)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: { username: { type: 'string', minLength: 1, maxLength: 65535 }, password: { type: 'string', minLength: 1 } }
        },
        response: {
          200: { ...USER_SCHEMA, description: 'password changed' },
          201: { ...USER_SCHEMA, description: 'user added' },
          409: ERROR_SCHEMA,
          500: ERROR_SCHEMA
        }
      }
    },
    async (request, reply) => {
      const path = authFile()
      if (path === null) return reply.code(409).send(noFile)
      const { username, password } = request.body
      const result = await users.set(path, username, password)
      if (!result.ok) return reply.code(result.status).send(apiError('AUTH_FILE_ERROR', result.message))
      logger.info(`management API: ${result.value} user ${username} in ${path}`)
      await broker.reloadAuth()
      return reply.code(result.value === 'added' ? 201 : 200).send({ username })
    }
  )

  app.delete<{ Params: { username: string } }>(
    '/users/:username',
    {
      schema: {
        tags: TAGS,
        summary: 'Remove a user',
        params: { type: 'object', properties: { username: { type: 'string', minLength: 1 } }, required: ['username'] },
        response: { 204: { type: 'null', description: 'removed' }, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA }
      }
    },
    async (request, reply) => {
      const path = authFile()
      if (path === null) return reply.code(409).send(noFile)
      const result = await users.remove(path, request.params.username)
      if (!result.ok) {
        const code = result.status === 404 ? 'USER_NOT_FOUND' : 'AUTH_FILE_ERROR'
        return reply
          .code(result.status)
          .send(apiError(code, result.status === 404 ? `no user "${request.params.username}"` : result.message))
      }
      logger.info(`management API: removed user ${request.params.username} from ${path}`)
      await broker.reloadAuth()
      return reply.code(204).send()
    }
  )
}
