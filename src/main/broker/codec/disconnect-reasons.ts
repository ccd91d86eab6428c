/**
 * The reason codes a DISCONNECT may carry (MQTT 5 §3.14.2.1). CONNACK-only codes such as 0x84
 * Unsupported Protocol Version or 0x8C Bad Authentication Method are not among them: a client
 * (mqtt-packet, MQTT.js) treats a DISCONNECT carrying one as malformed.
 */
const DISCONNECT_REASON_CODES = new Set([
  0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c,
  0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2
])

/** `reasonCode` when a DISCONNECT may carry it, else 0x82 Protocol Error (what such closes are). */
export function disconnectReasonCode(reasonCode: number): number {
  return DISCONNECT_REASON_CODES.has(reasonCode) ? reasonCode : 0x82
}
