import { GatewayError } from '../errors.ts'

/** DESIGN §3: used in topic names, principals and file names, so it must stay this narrow. */
export const systemIdPattern = /^[a-z][a-z0-9-]{1,31}$/

export function assertSystemId(value: string, where = 'system id'): string {
  if (!systemIdPattern.test(value)) {
    throw new GatewayError(
      'ACMGW_SYSTEM_ID_INVALID',
      `${where} ${JSON.stringify(value)} is not valid: it must match ${systemIdPattern.source} (lower case letter, then 1 to 31 lower case letters, digits or '-')`,
      { path: where }
    )
  }
  return value
}

/** The certificate CN of a system's gateway; the broker maps it to the principal User:<CN>. */
export function gatewayCommonName(systemId: string): string {
  return `acmgw.${assertSystemId(systemId)}`
}

export function gatewayPrincipal(systemId: string): string {
  return `User:${gatewayCommonName(systemId)}`
}

export const brokerCommonName = 'broker'
export const adminCommonName = 'admin'
