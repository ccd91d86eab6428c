import type { Session } from './session'

/**
 * Where sessions live. In memory for now; the interface is what a durable store implements later
 * (sessions are looked up by client id and listed for the inspector).
 */
export interface SessionStore {
  get(clientId: string): Session | undefined
  set(session: Session): void
  delete(clientId: string): boolean
  values(): IterableIterator<Session>
  readonly size: number
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>()

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId)
  }

  set(session: Session): void {
    this.sessions.set(session.clientId, session)
  }

  delete(clientId: string): boolean {
    return this.sessions.delete(clientId)
  }

  values(): IterableIterator<Session> {
    return this.sessions.values()
  }

  get size(): number {
    return this.sessions.size
  }
}
