/** Hand-made Avro binary for hostile-input tests. */

export function zigzag(n: number | bigint): Buffer {
  let v = BigInt(n)
  v = v >= 0n ? v << 1n : (-v << 1n) - 1n
  const out: number[] = []
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v > 0n) byte |= 0x80
    out.push(byte)
  } while (v > 0n)
  return Buffer.from(out)
}

export function avroString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  return Buffer.concat([zigzag(bytes.length), bytes])
}
