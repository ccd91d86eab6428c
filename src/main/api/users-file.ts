/**
 * The users of the auth file, for the management API (PMQ's create_user): listed, added or changed,
 * removed. The file is rewritten as `brokerscope passwd` does it: atomically (a temporary file
 * renamed over it), mode 0600, plain JSON (comments are not kept, the ACL rules are), and only when
 * it parses and checks: a broken file is reported and left alone. Passwords are hashed with scrypt
 * off the event loop. Changes are queued one after another, so two requests cannot lose each other.
 */
import { type AuthData, loadAuthFile, validateAuthData } from '../broker/auth/auth-file'
import { hashPasswordAsync } from '../broker/auth/password-hash'
import { JsonFileStore } from '../storage/json-file-store'

export type UsersResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 409 | 500; message: string }

export class AuthFileUsers {
  private queue: Promise<unknown> = Promise.resolve()

  async list(path: string): Promise<{ ok: true; value: string[] } | { ok: false; status: 409; message: string }> {
    const loaded = await loadAuthFile(path, { missingOk: true })
    // The summary only: a reply must not show what the file holds (issue 16, finding 5).
    if (!loaded.ok) return { ok: false, status: 409, message: `the auth file has errors: ${loaded.summary ?? 'see the broker log'}` }
    return { ok: true, value: loaded.data.users.map((user) => user.username) }
  }

  /** Add a user or change its password; `value` says which. */
  set(path: string, username: string, password: string): Promise<UsersResult<'added' | 'changed'>> {
    return this.serialized(async () => {
      const hash = await hashPasswordAsync(password)
      return await this.edit(path, (data) => {
        const existing = data.users.find((user) => user.username === username)
        if (existing) existing.password = hash
        else data.users.push({ username, password: hash })
        return existing ? 'changed' : 'added'
      })
    })
  }

  remove(path: string, username: string): Promise<UsersResult<'removed'>> {
    return this.serialized(async () =>
      this.edit(path, (data) => {
        const index = data.users.findIndex((user) => user.username === username)
        if (index < 0) return null
        data.users.splice(index, 1)
        return 'removed' as const
      })
    )
  }

  private async edit<T>(path: string, change: (data: AuthData) => T | null): Promise<UsersResult<T>> {
    const loaded = await loadAuthFile(path, { missingOk: true })
    if (!loaded.ok) {
      const why = loaded.summary ?? 'see the broker log'
      return { ok: false, status: 409, message: `the auth file has errors, so it was not changed: ${why}` }
    }
    const outcome = change(loaded.data)
    if (outcome === null) return { ok: false, status: 404, message: 'no such user' }
    const store = new JsonFileStore<AuthData>(
      path,
      (raw) => {
        const checked = validateAuthData(raw)
        return checked.ok ? checked.data : new Error(checked.errors.join('; '))
      },
      { users: [], acl: [] }
    )
    try {
      store.save(loaded.data)
    } catch (err) {
      return { ok: false, status: 500, message: `cannot write ${path}: ${err instanceof Error ? err.message : String(err)}` }
    }
    return { ok: true, value: outcome }
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => {})
    return run
  }
}
