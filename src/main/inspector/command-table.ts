/**
 * The command table: for every command in COMMANDS (src/shared/api.ts), a checker for its untrusted
 * arguments and the code that runs it. The type is a mapped type over COMMANDS, so a command
 * declared there and missing here (or handled here and not declared) does not compile. A new
 * command is one entry in COMMANDS and one entry in the table of the module that owns it
 * (the tables are spread together in inspector.ts).
 */
import type { CommandArgs, CommandName, CommandResult } from '../../shared/api'
import { argumentList, parseCommandName, type ArgsCheck } from './command-validation'

export interface CommandHandler<K extends CommandName> {
  /** Turns the untrusted argument list into typed arguments, or throws a CommandError saying why not. */
  readonly args: ArgsCheck<CommandArgs<K>>
  run(...args: CommandArgs<K>): CommandResult<K> | Promise<CommandResult<K>>
}

export type CommandTable = { readonly [K in CommandName]: CommandHandler<K> }

/** Part of the table, for a module that owns some of the commands. */
export type CommandTablePart<K extends CommandName> = { readonly [C in K]: CommandHandler<C> }

/** Check a command's name and arguments, then run it. */
export async function runCommand(table: CommandTable, name: unknown, args: unknown): Promise<unknown> {
  const command = parseCommandName(name)
  return dispatch(table, command, argumentList(command, args))
}

function dispatch<K extends CommandName>(table: CommandTable, command: K, values: readonly unknown[]): Promise<unknown> | unknown {
  const handler: CommandHandler<K> = table[command]
  return handler.run(...handler.args(command, values))
}
