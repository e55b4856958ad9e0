/**
 * CRC-64-AVRO, the schema fingerprint of the Avro specification ("Schema Fingerprints"), and the
 * single-object encoding header built from it. avsc only offers md5/sha256 fingerprints, so this follows the
 * specification's reference code: empty value 0xc15d213aa4d7a795, table-driven, reflected, over the UTF-8
 * bytes of the schema's Parsing Canonical Form. Computed once per schema at load, never per message.
 */

const empty = 0xc15d213aa4d7a795n
const mask = 0xffffffffffffffffn

const table: bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i)
  for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (empty & -(fp & 1n) & mask)
  return fp
})

/** The fingerprint as an unsigned 64-bit integer (Java's `long` reinterpreted as unsigned). */
export function crc64Avro(data: Uint8Array): bigint {
  let fp = empty
  for (const byte of data) fp = (fp >> 8n) ^ (table[Number((fp ^ BigInt(byte)) & 0xffn)] ?? 0n)
  return fp
}

/** The 8 bytes that follow `C3 01` in single-object encoding: the fingerprint, little-endian. */
export function fingerprintBytes(canonicalForm: string): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm, 'utf8')))
  return out
}

/** Single-object encoding marker (Avro specification, "Single-object encoding"). */
export const singleObjectMarker = Buffer.from([0xc3, 0x01])
export const singleObjectHeaderLength = 10
