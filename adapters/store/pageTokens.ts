/** Keyset paging, the same in both store adapters: the continuation token is the last id served. */
export function encodeToken(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeToken(token: string | undefined): string {
  return token ? Buffer.from(token, 'base64url').toString('utf8') : '';
}
