/**
 * Records this broker's packet log to a file: every packet in and out, from the broker's event
 * stream (BrokerControl.events), not from the inspector's bounded ring, so the recording is
 * complete however long it runs. Its own consumer of the stream, beside the inspector.
 *
 * Under a flood the disk may fall behind: when the write buffer is full the recorder stops asking
 * the broker for packet events (suspendPackets, as the inspector does) and counts what went by
 * from the broker's packet counter until the buffer drains. So memory stays bounded, the broker
 * pays nothing per packet while the recorder waits, and every missed packet is counted.
 */
import type { BrokerEventOf, ProtocolVersion } from '../../../shared/broker-types'
import type { RecordingStatus } from '../../../shared/tools-api'
import type { BrokerControl } from '../../broker/control'
import { Recording, type RecordingFiles, type RecordingLimits } from './recording'
import { RECORDING_FORMAT, RECORDING_VERSION, recordedPacket } from './recording-format'

export class BrokerRecorder {
  private off: Array<() => void> = []
  /** packetsHandled() when the recorder paused for the disk, or -1 while it takes packets. */
  private pausedAt = -1

  private constructor(
    private readonly broker: BrokerControl,
    private readonly recording: Recording
  ) {}

  static async start(
    broker: BrokerControl,
    files: RecordingFiles,
    limits: RecordingLimits,
    onEnd: (status: RecordingStatus) => void = () => {}
  ): Promise<BrokerRecorder> {
    let recorder: BrokerRecorder | null = null
    const recording = await Recording.open(
      files,
      limits,
      { format: RECORDING_FORMAT, version: RECORDING_VERSION, source: 'broker', startedAt: Date.now() },
      (status) => {
        recorder?.detach()
        onEnd(status)
      }
    )
    recorder = new BrokerRecorder(broker, recording)
    const self = recorder
    recording.beforeStop = () => self.resume(true)
    recorder.attach()
    return recorder
  }

  get active(): boolean {
    return this.recording.active
  }

  status(): RecordingStatus {
    return this.recording.status()
  }

  /** Bytes waiting in memory for the disk. */
  bufferedBytes(): number {
    return this.recording.bufferedBytes()
  }

  stop(reason = 'stopped'): Promise<RecordingStatus> {
    this.detach()
    return this.recording.stop(reason)
  }

  private attach(): void {
    // Clients connected before the recording: their addresses and versions for the pcapng flows.
    for (const client of this.broker.listClients()) {
      if (client.connected) this.recording.clientKnown(client.clientId, client.address, mqttVersion(client.protocolVersion))
    }
    const events = this.broker.events
    this.off = [
      events.on('packet', (event) => this.onPacket(event)),
      events.on('client.connected', (event) =>
        this.recording.clientConnected(event.clientId, event.address, mqttVersion(event.protocolVersion))
      ),
      events.on('client.disconnected', (event) => this.recording.clientClosed(event.clientId)),
      this.recording.onDrain(() => this.resume())
    ]
  }

  private detach(): void {
    this.resume(true)
    for (const off of this.off) off()
    this.off = []
    if (this.pausedAt >= 0) this.broker.events.resumePackets(this)
    this.pausedAt = -1
  }

  private onPacket(event: BrokerEventOf<'packet'>): void {
    // Paused for the disk: these are counted from the broker's counter on resume.
    if (this.pausedAt >= 0) return
    if (this.recording.add(recordedPacket(event.packet, Date.now()))) return
    if (!this.recording.active) return
    // No room: the packet was counted; wait for the disk without costing the broker anything.
    this.pausedAt = this.broker.packetsHandled()
    this.broker.events.suspendPackets(this)
  }

  /** Packet events again, once the disk caught up (or at the end, `force`): what went by is counted. */
  resume(force = false): void {
    if (this.pausedAt < 0) return
    if (!force && this.recording.active && !this.recording.canResume()) return
    this.recording.countNotWritten(this.broker.packetsHandled() - this.pausedAt)
    this.pausedAt = -1
    this.broker.events.resumePackets(this)
  }
}

function mqttVersion(version: ProtocolVersion): 3 | 4 | 5 {
  return version
}
