import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
const which = process.argv[2] ?? 'verify'
rmSync('/tmp/prof', { recursive: true, force: true }); mkdirSync('/tmp/prof')
const secret = 'x'.repeat(32), key = 'k'.repeat(32)
const env = { PATH: process.env.PATH, JWT_SECRET: secret, CHATWOOT_INBOX_WEBSITE_SECRET: 'inbox', PORT: '18222', HOST: '127.0.0.1', VERIFY_API_KEYS: key }
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof', '--cpu-prof-interval', '200', which === 'floor' ? 'bench/floor.mjs' : 'dist/server.js'], { env, stdio: 'ignore' })
await new Promise(r => setTimeout(r, 1500))
const lines = []
for (let i = 0; i < 1000; i++) lines.push(['POST', '/v1/identity/verify', 'Bearer ' + key, JSON.stringify({ identifier: 'user-' + i, identifier_hash: randomBytes(32).toString('hex') })].join('\t'))
writeFileSync('/tmp/prof-req.tsv', lines.join('\n'))
const r = spawnSync('wrk', ['-t1', '-c32', '-d6s', '-s', 'bench/tokens.lua', 'http://127.0.0.1:18222'], { env: { ...process.env, BENCH_REQUESTS: which === 'floor' ? '' : '/tmp/prof-req.tsv' }, encoding: 'utf8' })
const requests = Number(/RESULT (\d+)/.exec(r.stdout)[1])
child.kill('SIGTERM'); await new Promise(r => child.on('exit', r))
const file = readdirSync('/tmp/prof').map(f => '/tmp/prof/' + f)[0]
const prof = JSON.parse(readFileSync(file, 'utf8'))
const byId = new Map(prof.nodes.map(n => [n.id, n]))
const self = new Map(); let busy = 0
prof.samples.forEach((id, i) => { const cf = byId.get(id).callFrame; const d = prof.timeDeltas[i] ?? 0; if (cf.functionName === '(idle)') return; busy += d; const key = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${cf.lineNumber}`; self.set(key, (self.get(key) ?? 0) + d) })
console.log(which, 'requests', requests, 'busy µs/request', (busy / requests).toFixed(1))
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v / requests).toFixed(2).padStart(7) + ' µs  ' + k)
