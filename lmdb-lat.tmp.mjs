import { open } from 'lmdb'
import { rmSync } from 'node:fs'
const modes = ['txnAsync', 'txnSync', 'asyncPuts']
for (const mode of modes) {
  rmSync('/tmp/lmdb-lat', { recursive: true, force: true })
  const root = open({ path: '/tmp/lmdb-lat', maxDbs: 8, compression: false })
  const db = root.openDB('d', {})
  const m = root.openDB('m', {keyEncoding:'uint32'})
  let seq = 0
  const N = 300
  const t0 = performance.now()
  const lat = []
  let cpu0 = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    const s = performance.now()
    const body = () => { for (let j = 0; j < 128; j++) { seq++; db.putSync(['c' + (j % 8), seq], { m: seq, q: 1, r: false, s: null }); m.putSync(seq, {t:'bench/q/1', p: Buffer.alloc(16), q:1}); db.removeSync(['c' + (j % 8), seq-128]); m.removeSync(seq-128) } }
    if (mode === 'txnAsync') await root.transaction(body).then(() => root.flushed)
    else if (mode === 'txnSync') { root.transactionSync(body); await root.flushed }
    else { let p; for (let j = 0; j < 128; j++) { seq++; db.put(['c' + (j % 8), seq], { m: seq, q: 1, r: false, s: null }); m.put(seq, {t:'bench/q/1', p: Buffer.alloc(16), q:1}); db.remove(['c' + (j % 8), seq-128]); p = m.remove(seq-128) } await p; await root.flushed }
    lat.push(performance.now() - s)
  }
  const cpu = process.cpuUsage(cpu0)
  lat.sort((a, b) => a - b)
  console.log(mode, 'commits/s', (N / ((performance.now() - t0) / 1000)).toFixed(0), 'p50 ms', lat[N >> 1].toFixed(2), 'p90', lat[Math.floor(N * 0.9)].toFixed(2), 'cpu ms/commit', ((cpu.user+cpu.system)/1000/N).toFixed(2))
  await root.close()
}
