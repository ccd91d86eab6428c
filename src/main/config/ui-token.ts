/**
 * The one rule for the headless inspector's access token, wherever it comes from (--ui-token, and
 * whatever else supplies one): the command line checks it, the UI server checks it again, and
 * --help and the README print UI_TOKEN_RULE. URL-unreserved characters only, so the token travels
 * in the printed address unescaped; at least 16, so a fixed token is not trivially guessed.
 */
export const UI_TOKEN_RULE = '16 to 256 characters: letters, digits, - _ . ~'

const UI_TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/

/** Why `token` cannot be the UI token, or null when it can. */
export function uiTokenProblem(token: string): string | null {
  return UI_TOKEN_PATTERN.test(token) ? null : `must be ${UI_TOKEN_RULE}`
}
