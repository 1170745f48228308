import { createPublicKey, type KeyObject, sign } from 'node:crypto'

// A minimal self-signed X.509 certificate, DER-encoded by hand (node:crypto parses certificates but
// cannot make them): what an attacker puts in `x5c` next to a token signed with the same key.

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content])
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content])
}

const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts))
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts))
const integer = (value: number) => tlv(0x02, Buffer.from([value]))
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'))
const utcTime = (date: Date) =>
  tlv(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'))
const bitString = (bytes: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]))

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift(0x80 | (value & 0x7f))
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

const SIGNATURE_ALGORITHMS: Record<string, { algorithm: Buffer; hash: string | null }> = {
  rsa: { algorithm: sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00])), hash: 'sha256' },
  ec: { algorithm: sequence(oid('1.2.840.10045.4.3.2')), hash: 'sha256' },
  ed25519: { algorithm: sequence(oid('1.3.101.112')), hash: null },
}

/** A self-signed certificate for this private key, as the base64 DER that `x5c` carries. */
export function selfSignedCertificate(privateKey: KeyObject, commonName = 'attacker'): string {
  const scheme = SIGNATURE_ALGORITHMS[privateKey.asymmetricKeyType ?? '']
  if (!scheme) throw new Error(`no certificate for ${privateKey.asymmetricKeyType} keys`)
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))))
  const now = Date.now()
  const tbs = sequence(
    integer(1),
    scheme.algorithm,
    name,
    sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name,
    createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
  )
  const signature = sign(scheme.hash, tbs, privateKey)
  return sequence(tbs, scheme.algorithm, bitString(signature)).toString('base64')
}
