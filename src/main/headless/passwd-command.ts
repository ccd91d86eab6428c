/**
 * `brokerscope passwd`: manage the users of an auth file, like mosquitto_passwd.
 *
 *   brokerscope passwd FILE add USER [--password P]   add a user or change its password
 *   brokerscope passwd FILE delete USER               remove a user
 *   brokerscope passwd FILE list                      list the user names
 *
 * Without --password the password is read from standard input: prompted for twice (not echoed) on
 * a terminal, else the first line. The file is created when missing. It is rewritten as plain
 * JSON (valid JSON5), so comments in it are not kept; the ACL rules are. The write is atomic (a
 * temporary file renamed over the old one) and the file is private to its owner (0600).
 *
 * Exit codes: 0 done, 1 the file could not be read or written (or the user does not exist),
 * 2 bad command line.
 */
import { JsonFileStore } from '../storage/json-file-store'
import { loadAuthFile, validateAuthData, type AuthData } from '../broker/auth/auth-file'
import { hashPassword } from '../broker/auth/password-hash'

export interface PasswdIo {
  stdout(line: string): void
  stderr(line: string): void
  /** Read the password (tests inject one); the default reads standard input. */
  readPassword?(): Promise<string>
}

export const PASSWD_USAGE = [
  'Usage:',
  '  brokerscope passwd FILE add USER [--password P]   add USER or change its password',
  '  brokerscope passwd FILE delete USER               remove USER',
  '  brokerscope passwd FILE list                      list the users',
  '',
  'Without --password, the password is read from standard input (asked twice on a terminal).',
  'FILE is created when missing. It is rewritten as plain JSON: comments are not kept.'
].join('\n')

export async function passwdMain(args: readonly string[], io: PasswdIo): Promise<number> {
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    io.stdout(PASSWD_USAGE)
    return args.length === 0 ? 2 : 0
  }
  const usageError = (message: string): number => {
    io.stderr(`brokerscope passwd: ${message}`)
    io.stderr('Run `brokerscope passwd --help` for the usage.')
    return 2
  }
  const positional: string[] = []
  let password: string | null = null
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--password' || arg === '-p') {
      if (i + 1 >= args.length) return usageError(`${arg} needs a value`)
      password = args[++i]
    } else if (arg.startsWith('--password=')) {
      password = arg.slice('--password='.length)
    } else if (arg.startsWith('-') && arg.length > 1) {
      return usageError(`unknown option ${arg}`)
    } else {
      positional.push(arg)
    }
  }
  const [file, command, user, ...extra] = positional
  if (file === undefined || command === undefined) return usageError('give a FILE and a command: add, delete or list')
  if (extra.length > 0) return usageError(`unexpected ${extra.join(' ')}`)
  if (command === 'list') {
    if (user !== undefined) return usageError('list takes no user name')
    if (password !== null) return usageError('--password is only for add')
  } else if (command === 'add' || command === 'delete') {
    if (user === undefined || user.length === 0) return usageError(`${command} needs a USER`)
    if (command === 'delete' && password !== null) return usageError('--password is only for add')
  } else {
    return usageError(`unknown command "${command}" (add, delete or list)`)
  }

  const loaded = await loadAuthFile(file, { missingOk: true })
  if (!loaded.ok) {
    for (const error of loaded.errors) io.stderr(`brokerscope passwd: ${error}`)
    io.stderr('brokerscope passwd: fix the file first; it was not changed.')
    return 1
  }
  const data = loaded.data

  if (command === 'list') {
    for (const entry of data.users) io.stdout(entry.username)
    return 0
  }

  if (command === 'delete') {
    const index = data.users.findIndex((entry) => entry.username === user)
    if (index < 0) {
      io.stderr(`brokerscope passwd: ${file} has no user "${user}"`)
      return 1
    }
    data.users.splice(index, 1)
    if (!save(file, data, io)) return 1
    io.stdout(`deleted user ${user} from ${file}`)
    return 0
  }

  // add
  if (password === null) {
    try {
      password = await (io.readPassword ?? readPasswordFromStdin)()
    } catch (err) {
      io.stderr(`brokerscope passwd: ${err instanceof Error ? err.message : String(err)}`)
      return 1
    }
  }
  if (password.length === 0) {
    io.stderr('brokerscope passwd: the password must not be empty')
    return 2
  }
  const hash = hashPassword(password)
  const existing = data.users.find((entry) => entry.username === user)
  if (existing) existing.password = hash
  else data.users.push({ username: user!, password: hash })
  if (!save(file, data, io)) return 1
  io.stdout(`${existing ? 'changed the password of' : 'added'} user ${user} in ${file}`)
  if (/[/+#]/.test(user!)) io.stdout(`note: ACL rules with %u do not grant anything to "${user}" (it contains / + or #)`)
  io.stdout('A running broker picks the change up on SIGHUP (kill -HUP <pid>) or when its auth file is set again.')
  return 0
}

function save(file: string, data: AuthData, io: PasswdIo): boolean {
  const store = new JsonFileStore<AuthData>(
    file,
    (raw) => {
      const checked = validateAuthData(raw)
      return checked.ok ? checked.data : new Error(checked.errors.join('; '))
    },
    { users: [], acl: [] }
  )
  try {
    store.save(data)
    return true
  } catch (err) {
    io.stderr(`brokerscope passwd: cannot write ${file}: ${err instanceof Error ? err.message : String(err)}`)
    return false
  }
}

/** A terminal: ask twice without echo. Otherwise: the first line of standard input. */
async function readPasswordFromStdin(): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) {
    const chunks: Buffer[] = []
    for await (const chunk of stdin) {
      chunks.push(chunk as Buffer)
      if ((chunk as Buffer).includes(0x0a)) break
    }
    const text = Buffer.concat(chunks).toString('utf8')
    const newline = text.indexOf('\n')
    return (newline >= 0 ? text.slice(0, newline) : text).replace(/\r$/, '')
  }
  const first = await promptHidden('Password: ')
  const second = await promptHidden('Reenter password: ')
  if (first !== second) throw new Error('the passwords do not match')
  return first
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  return new Promise((resolve, reject) => {
    let value = ''
    const done = (error: Error | null): void => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolve(value)
    }
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done(null)
        if (char === '\u0003') return done(new Error('cancelled'))
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1)
        else value += char
      }
    }
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onData)
  })
}
