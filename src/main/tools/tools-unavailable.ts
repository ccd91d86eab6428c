/**
 * The tools' command-table part for an inspector built without them (tests, tools of its own):
 * every tool command is refused with a CommandError saying so.
 */
import { TOOL_COMMAND_NAMES, type ToolCommandName } from '../../shared/tools-api'
import type { CommandHandler, CommandTablePart } from '../inspector/command-table'
import { CommandError } from '../inspector/command-validation'

export function toolsUnavailable(): CommandTablePart<ToolCommandName> {
  const refuse: CommandHandler<ToolCommandName> = {
    args: (command) => {
      throw new CommandError(`${command}: the tools (simulate, record, replay) are not available here`)
    },
    run: () => {
      throw new CommandError('the tools are not available here')
    }
  }
  return Object.fromEntries(TOOL_COMMAND_NAMES.map((name) => [name, refuse])) as unknown as CommandTablePart<ToolCommandName>
}
