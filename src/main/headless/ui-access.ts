/**
 * Who can reach the headless inspector UI: where its access token comes from, and a warning when
 * the UI is bound where other machines can reach it over plain HTTP.
 *
 * The token can be given three ways, first found wins:
 *   --ui-token TOKEN          simple, but every local user can read it in `ps` / /proc/PID/cmdline
 *   --ui-token-file FILE      the file's first line (keep the file private: chmod 600)
 *   $BROKERSCOPE_UI_TOKEN     the environment (readable only by the same user and root)
 * and otherwise a new random token is made at each start.
 */
import { stat } from 'node:fs/promises'
import type { UiOptions } from '../config/cli-args'
import { readSettingFile } from '../config/setting-file'
import { uiTokenProblem } from '../config/ui-token'

export const UI_TOKEN_ENV = 'BROKERSCOPE_UI_TOKEN'
/** A token file is one short line; anything bigger is not one. */
const MAX_TOKEN_FILE_BYTES = 4096

export type UiTokenResult = { ok: true; token: string | null; warnings: string[] } | { ok: false; error: string }

/** The fixed token to use (null: make a random one), from the flag, the file or the environment. */
export async function resolveUiToken(ui: UiOptions, env: NodeJS.ProcessEnv): Promise<UiTokenResult> {
  if (ui.token !== null) return { ok: true, token: ui.token, warnings: [] }
  if (ui.tokenFile !== null) {
    const read = await readSettingFile(ui.tokenFile, MAX_TOKEN_FILE_BYTES)
    if (!read.ok) return { ok: false, error: `--ui-token-file: ${read.detail}` }
    const token = read.data.toString('utf8').split(/\r?\n/)[0].trim()
    const problem = uiTokenProblem(token)
    if (problem) return { ok: false, error: `--ui-token-file: the first line of ${ui.tokenFile} ${problem}` }
    const warnings: string[] = []
    const mode = (await stat(ui.tokenFile)).mode
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warnings.push(`${ui.tokenFile} can be read by other users: chmod 600 ${ui.tokenFile}`)
    }
    return { ok: true, token, warnings }
  }
  const fromEnv = env[UI_TOKEN_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    const problem = uiTokenProblem(fromEnv)
    if (problem) return { ok: false, error: `$${UI_TOKEN_ENV} ${problem}` }
    return { ok: true, token: fromEnv, warnings: [] }
  }
  return { ok: true, token: null, warnings: [] }
}

/** Loopback addresses: only programs on this machine can connect to them. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

/** The warning for a UI bound beyond loopback over plain HTTP, or null. */
export function exposedUiWarning(host: string, url: string): string | null {
  if (isLoopbackHost(host)) return null
  return (
    `the inspector UI listens on ${host} over plain HTTP: its token and every message it shows cross the network unencrypted, ` +
    `and anyone who sees the URL (${url.replace(/token=[^&]*/, 'token=…')}) can run the broker. ` +
    'There is no TLS option for the UI: keep --ui-host 127.0.0.1 (the default) and reach it through an SSH tunnel ' +
    '(ssh -L 8090:127.0.0.1:8090 host) or a TLS reverse proxy.'
  )
}
