/**
 * The bridges as the inspector and the shells see them: the list with each one's state, and the
 * UI's commands. BridgeManager implements it; the inspector only knows this interface.
 */
import type { BridgeStatus, InspectRequest, SaveBridgeRequest } from '../../shared/bridges'

export interface BridgeControl {
  list(): BridgeStatus[]
  /** Add or change a bridge defined in the UI (kept in bridges.json). Throws with the reasons when it is refused. */
  save(request: SaveBridgeRequest): Promise<BridgeStatus>
  /** Stop and delete a bridge defined in the UI, with its local session. False when there is none. */
  remove(name: string): Promise<boolean>
  /** Start or stop a bridge (the UI's bridges remember it). */
  setRunning(name: string, running: boolean): Promise<BridgeStatus>
  /** Start inspecting a remote broker (a read-only bridge, kept like the UI's bridges). */
  inspect(request: InspectRequest): Promise<BridgeStatus>
  /** Called when a bridge's state or the list changed. */
  onChange(listener: () => void): () => void
}

/** No bridges (an inspector built without a bridge manager, as in tests). */
export const NO_BRIDGES: BridgeControl = {
  list: () => [],
  save: () => Promise.reject(new Error('bridges are not available here')),
  remove: () => Promise.resolve(false),
  setRunning: () => Promise.reject(new Error('bridges are not available here')),
  inspect: () => Promise.reject(new Error('bridges are not available here')),
  onChange: () => () => {}
}
