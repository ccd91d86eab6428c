// aedes for the benchmarks: `node bench/aedes-server.mjs <port>`, default options, in-memory
// persistence. Plain JS (no tsx loader) so it runs exactly as a user would run it. TCP_NODELAY is
// set on client sockets, as BrokerScope and the mosquitto config (set_tcp_nodelay) do.
import net from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2] ?? 1883)
const aedes = await Aedes.createBroker()
const server = net.createServer({ noDelay: true }, aedes.handle)
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))
