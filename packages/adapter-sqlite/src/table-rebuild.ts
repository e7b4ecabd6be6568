import type { Database } from 'better-sqlite3';

/**
 * A table rebuilt with one edit to its definition: the way SQLite changes what ALTER TABLE cannot
 * (a CHECK constraint, say).
 */
export interface TableRebuild {
  table: string;
  /** Text of the table's CREATE statement that must occur exactly once... */
  replace: string;
  /** ...and what it becomes. */
  with: string;
}

/** The migration directives (`-- +flashsale <name> <value>`) that describe a table rebuild. */
const DIRECTIVE = /^-- \+flashsale (rebuild-table|replace|with) (.+)$/gm;

/**
 * The rebuild a migration's SQL asks for with its `-- +flashsale` lines, or undefined. A file with
 * some of the three lines but not all (or one twice) is refused: a half-understood migration must
 * not run.
 *
 * @example rebuildOf("-- +flashsale rebuild-table holds\n-- +flashsale replace a\n-- +flashsale with b") // { table: 'holds', replace: 'a', with: 'b' }
 */
export function rebuildOf(sql: string): TableRebuild | undefined {
  const found = new Map<string, string>();
  for (const [, name, value] of sql.matchAll(DIRECTIVE)) {
    if (found.has(name!)) throw new Error(`migration directive "${name}" appears twice`);
    found.set(name!, value!.trim());
  }
  if (found.size === 0) return undefined;
  const table = found.get('rebuild-table');
  const replace = found.get('replace');
  const replacement = found.get('with');
  if (table === undefined || replace === undefined || replacement === undefined) {
    throw new Error('a table rebuild needs all three directives: rebuild-table, replace and with');
  }
  return { table, replace, with: replacement };
}

/**
 * Rebuilds `rebuild.table` with its edited definition, by SQLite's 12-step procedure: the new
 * table is created from the current CREATE statement with the one edit, the rows are copied, the
 * old table dropped, the new one renamed into its place, its indexes and triggers recreated as
 * they were, its AUTOINCREMENT counter kept (ids are never reused), and `PRAGMA foreign_key_check`
 * must then find nothing.
 *
 * Runs inside the caller's transaction, which must have foreign keys off (PRAGMA foreign_keys is a
 * no-op inside a transaction, so the caller turns it off before beginning): dropping a table that
 * other tables reference would otherwise delete or refuse. Throws, changing nothing the
 * transaction's rollback does not undo, when the definition does not contain the text once, or
 * a view or another table's trigger names the table (the rename would break them).
 */
export function rebuildTable(db: Database, rebuild: TableRebuild): void {
  const { table } = rebuild;
  if (db.pragma('foreign_keys', { simple: true }) !== 0) {
    throw new Error(`rebuilding ${table} needs foreign keys off: run the migration outside a transaction`);
  }
  const definition = db.prepare<[string], { sql: string }>("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table);
  if (!definition) throw new Error(`no table ${table} to rebuild`);
  const occurrences = definition.sql.split(rebuild.replace).length - 1;
  if (occurrences !== 1) {
    throw new Error(`the definition of ${table} contains ${JSON.stringify(rebuild.replace)} ${occurrences} times, not once: refusing to rebuild it`);
  }
  const dependents = db
    .prepare<[string], { type: string; name: string; tbl_name: string; sql: string }>(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL AND name <> ?",
    )
    .all(table);
  const own = dependents.filter((d) => d.type !== 'view' && d.tbl_name === table);
  const mentions = new RegExp(`\\b${table}\\b`, 'i');
  const outside = dependents.filter((d) => !own.includes(d) && mentions.test(d.sql));
  if (outside.length > 0) {
    throw new Error(`cannot rebuild ${table}: ${outside.map((d) => `${d.type} ${d.name}`).join(', ')} refer to it`);
  }

  const staging = `flashsale_rebuild_${table}`;
  const head = new RegExp(`^CREATE TABLE\\s+(?:"${table}"|${table}|\`${table}\`|\\[${table}\\])\\s*\\(`, 'i');
  if (!head.test(definition.sql)) throw new Error(`the definition of ${table} does not start as expected: ${definition.sql.slice(0, 60)}`);
  const edited = definition.sql.replace(rebuild.replace, () => rebuild.with).replace(head, () => `CREATE TABLE "${staging}" (`);
  const columns = (db.pragma(`table_info("${table}")`) as { name: string }[]).map((column) => `"${column.name}"`).join(', ');
  const counter = hasSequenceTable(db) ? db.prepare<[string], number>('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) : undefined;

  db.exec(edited);
  db.exec(`INSERT INTO "${staging}" (${columns}) SELECT ${columns} FROM "${table}"`);
  db.exec(`DROP TABLE "${table}"`);
  db.exec(`ALTER TABLE "${staging}" RENAME TO "${table}"`);
  for (const dependent of own) db.exec(dependent.sql);
  if (counter !== undefined) db.prepare('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?').run(counter, table);

  const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  if (broken.length > 0) {
    const first = broken[0]!;
    throw new Error(`rebuilding ${table} left ${broken.length} rows whose foreign key finds no row (first: ${first.table} row ${first.rowid} → ${first.parent})`);
  }
}

function hasSequenceTable(db: Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'").get() !== undefined;
}
