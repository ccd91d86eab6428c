/**
 * The UI's commands on bridges (the Bridges view, "Connect to a broker…"): argument checks and the
 * calls into BridgeControl. A bridge config itself is checked by the one bridge validator
 * (validateBridgeConfig) in the manager; here only the request's shape.
 */
import type { InspectRequest, SaveBridgeRequest } from '../../shared/bridges'
import type { BridgeControl } from '../bridges/bridge-control'
import type { CommandTablePart } from './command-table'
import { args, type Check, CommandError, flag, MAX_NAME_LENGTH, noArgs, onlyKeys, plainObject, text } from './command-validation'

export type BridgeCommandName = 'listBridges' | 'saveBridge' | 'deleteBridge' | 'setBridgeRunning' | 'connectRemote'

const optionalText = (value: unknown, what: string, max = 65535): string | null | undefined => {
  if (value === undefined || value === null) return value
  if (typeof value !== 'string' || value.length > max) throw new CommandError(`${what} must be text of at most ${max} characters`)
  return value
}

export const saveBridgeRequest: Check<SaveBridgeRequest> = (value, what) => {
  const record = plainObject(value, what)
  onlyKeys(record, ['config', 'previousName', 'keepPassword'], what)
  const config = plainObject(record.config, `${what}.config`)
  if (typeof config.name !== 'string' || typeof config.url !== 'string') throw new CommandError(`${what}.config needs a name and a url`)
  const previousName = optionalText(record.previousName, `${what}.previousName`, MAX_NAME_LENGTH)
  if (record.keepPassword !== undefined && typeof record.keepPassword !== 'boolean')
    throw new CommandError(`${what}.keepPassword must be true or false`)
  return {
    config: config as SaveBridgeRequest['config'],
    previousName: previousName ?? undefined,
    keepPassword: record.keepPassword as boolean | undefined
  }
}

export const inspectRequest: Check<InspectRequest> = (value, what) => {
  const record = plainObject(value, what)
  onlyKeys(record, ['url', 'username', 'password', 'name', 'prefix', 'protocolVersion', 'caFile', 'insecure'], what)
  if (typeof record.url !== 'string' || record.url.length > 4096) throw new CommandError(`${what}.url must be a broker URL`)
  if (record.protocolVersion !== undefined && record.protocolVersion !== 4 && record.protocolVersion !== 5) {
    throw new CommandError(`${what}.protocolVersion must be 4 or 5`)
  }
  if (record.insecure !== undefined && typeof record.insecure !== 'boolean')
    throw new CommandError(`${what}.insecure must be true or false`)
  return {
    url: record.url,
    username: optionalText(record.username, `${what}.username`),
    password: optionalText(record.password, `${what}.password`),
    name: optionalText(record.name, `${what}.name`, 64) ?? undefined,
    prefix: optionalText(record.prefix, `${what}.prefix`) ?? undefined,
    protocolVersion: record.protocolVersion as 4 | 5 | undefined,
    caFile: optionalText(record.caFile, `${what}.caFile`, 4096),
    insecure: record.insecure as boolean | undefined
  }
}

/** The bridge part of the command table; errors from the manager come back as CommandErrors (their reasons). */
export function bridgeCommands(bridges: BridgeControl): CommandTablePart<BridgeCommandName> {
  const name = text(64)
  return {
    listBridges: { args: noArgs(), run: () => bridges.list() },
    saveBridge: { args: args(['request', saveBridgeRequest]), run: (request) => refused('saveBridge', bridges.save(request)) },
    deleteBridge: { args: args(['name', name]), run: (bridge) => refused('deleteBridge', bridges.remove(bridge)) },
    setBridgeRunning: {
      args: args(['name', name], ['running', flag]),
      run: (bridge, running) => refused('setBridgeRunning', bridges.setRunning(bridge, running))
    },
    connectRemote: { args: args(['request', inspectRequest]), run: (request) => refused('connectRemote', bridges.inspect(request)) }
  }
}

async function refused<T>(command: string, result: Promise<T>): Promise<T> {
  try {
    return await result
  } catch (error) {
    throw new CommandError(`${command}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
