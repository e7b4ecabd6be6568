/**
 * A SQL statement with a stable name, so `pg` prepares it once per connection and then only binds
 * values. The text is fixed at build time: values always travel as parameters.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function sql(name: string, text: string): Statement {
  return { name, text: text.trim().replace(/\s+/g, ' ') };
}
