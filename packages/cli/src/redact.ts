const secrets = new Set<string>();

/** Remembers a secret (a database password, a webhook secret, an admin token) so it is never printed. */
export function registerSecret(secret: string | undefined): void {
  // Very short strings would blank out ordinary words; such "secrets" protect nothing anyway.
  if (secret && secret.length >= 4) secrets.add(secret);
}

/**
 * Replaces every registered secret in `text` with `***`. Applied to every error message the CLI
 * prints, because driver errors may quote a connection string.
 *
 * @example registerSecret('hunter22'); redact('auth failed for hunter22') // 'auth failed for ***'
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out;
}
