import { CompiledQuery } from 'kysely';
import { eachRowQuery } from '../database.js';
import type { Database } from '../schema.js';
import { isPostgres, type Db } from './shared.js';

/**
 * A hot update of many rows, described once and written in each dialect's fastest form:
 *
 * - SQLite: one bound statement per row, run in one call (`eachRowQuery`). SQLite has no round
 *   trips to save, and binding a row's values costs it half of extracting them from a JSON array.
 * - PostgreSQL: one statement for all rows, the rows bound as one JSON array parameter and read as
 *   the table `r(value)`. Its text stays the same for any number of rows, and all rows go in one
 *   round trip.
 *
 * Both texts, and how a row becomes parameters (a list of values for SQLite, an element of the
 * JSON array for PostgreSQL), come from one description: the columns it sets, each with its SQL
 * type and where its value comes from in a row. A column added, removed or moved there moves in
 * both dialects at once, and the compiler checks each column's name and value type against the table.
 */

/** The SQL type of a row value. PostgreSQL reads every value of the JSON array as text (`->>`) and casts the others back. */
export type SqlType = 'text' | 'integer';

/** A value each row carries, taken from the row by `of`. */
export interface RowValue<Row, Value extends string | number | null = string | number | null> {
  readonly type: SqlType;
  readonly of: (row: Row) => Value;
}

/** A value the whole update binds once: the run the rows belong to, the status they leave. */
export interface SharedParameter<Shared> {
  readonly name: keyof Shared & string;
}

/** What the whole update binds once; each value a string or a number. */
type SharedValues = Record<string, string | number>;

type Slot<Row, Shared> = RowValue<Row> | SharedParameter<Shared>;

/** SQL text with row values and shared parameters in it (`expression\`attempts + ${…}\``). */
export interface Expression<Row, Shared> {
  readonly parts: readonly string[];
  readonly slots: readonly Slot<Row, Shared>[];
}

export function expression<Row, Shared>(parts: TemplateStringsArray, ...slots: Slot<Row, Shared>[]): Expression<Row, Shared> {
  return { parts, slots };
}

/** The terms a description names its rows' values and its shared parameters with, and `update` to describe one. */
export interface RowsOf<Row, Shared extends SharedValues> {
  text<Value extends string | null>(of: (row: Row) => Value): RowValue<Row, Value>;
  integer<Value extends number | null>(of: (row: Row) => Value): RowValue<Row, Value>;
  shared(name: keyof Shared & string): SharedParameter<Shared>;
  /** The update of `table` the description says (an object literal, so the compiler checks every column named). */
  update<T extends Table>(table: T, description: RowUpdateDescription<T, Row, Shared>): RowUpdate<Row, Shared>;
}

type Table = 'test_results' | 'tests';

/** Each column set, to a row value or an expression; a value's type must fit its column. */
type Assignments<T extends Table, Row, Shared> = {
  [Column in keyof Database[T]]?: RowValue<Row, Database[T][Column] & (string | number | null)> | Expression<Row, Shared>;
};

export interface RowUpdateDescription<T extends Table, Row, Shared> {
  /** The table row each row updates: `id = key`. */
  key: RowValue<Row, string>;
  set: Assignments<T, Row, Shared>;
  /** What else a table row must satisfy to be updated (the guard). */
  where?: Expression<Row, Shared>;
}

/**
 * The terms for describing updates whose rows are `Row`s, binding `Shared` once for all of them:
 * `const outcome = rowsOf<Row, Shared>(); outcome.update('table', { key: outcome.text(…), set: {…}, where })`.
 */
export function rowsOf<Row, Shared extends SharedValues = Record<never, never>>(): RowsOf<Row, Shared> {
  return {
    text: (of) => ({ type: 'text', of }),
    integer: (of) => ({ type: 'integer', of }),
    shared: (name) => ({ name }),
    update: (table, description) => new RowUpdate(table, description),
  };
}

export class RowUpdate<Row, Shared extends SharedValues> {
  readonly #key: RowValue<Row, string>;
  readonly #sqliteText: string;
  /** In the order of their `?` in the SQLite text. */
  readonly #sqliteSlots: Slot<Row, Shared>[];
  readonly #postgresText: string;
  /** The values of a row's JSON array element, in order; the key first. */
  readonly #postgresValues: RowValue<Row>[];
  /** The shared parameters bound as `$2`, `$3`… (`$1` is the rows). */
  readonly #postgresShared: (keyof Shared & string)[];

  constructor(table: Table, { key, set, where }: RowUpdateDescription<Table, Row, Shared>) {
    this.#key = key;
    const assignments = Object.entries(set).map(([column, value]) => [`${column} = `, value as RowValue<Row> | Expression<Row, Shared>] as const);
    const guard = where ? [' AND ', where] as const : null;

    this.#sqliteSlots = [];
    const sqlite = (value: RowValue<Row> | Expression<Row, Shared>) => this.#text(value, (slot) => (this.#sqliteSlots.push(slot), '?'));
    const sqliteSet = assignments.map(([left, value]) => left + sqlite(value)).join(', ');
    this.#sqliteSlots.push(key);
    this.#sqliteText = `UPDATE ${table} SET ${sqliteSet} WHERE id = ?${guard ? guard[0] + sqlite(guard[1]) : ''}`;

    this.#postgresValues = [key];
    this.#postgresShared = [];
    const postgres = (value: RowValue<Row> | Expression<Row, Shared>) => this.#text(value, (slot) => this.#postgresReference(slot));
    const postgresSet = assignments.map(([left, value]) => left + postgres(value)).join(', ');
    // The rows are looked up by primary key (`id = ANY`, the keys read once from the JSON): joined
    // on the guard's columns instead, the planner, misled by statistics from when no row was in the
    // transient status the guard names, walked every such row of the table and read every
    // element's key again for each (300 ms to finish 20 rows beside 2,000 queued).
    this.#postgresText =
      `WITH r AS MATERIALIZED (SELECT value ->> 0 AS key, value FROM json_array_elements(CAST($1 AS json))) ` +
      `UPDATE ${table} SET ${postgresSet} FROM r ` +
      `WHERE ${table}.id = r.key AND ${table}.id = ANY(ARRAY(SELECT key FROM r))${guard ? guard[0] + postgres(guard[1]) : ''} RETURNING ${table}.id`;
  }

  /** Updates the table row of each row that passes the guard; resolves with the rows that changed one. */
  async run(trx: Db, rows: Row[], shared: Shared): Promise<Row[]> {
    if (rows.length === 0) return [];
    if (!isPostgres(trx)) {
      const slots = this.#sqliteSlots.map((slot) => ('of' in slot ? slot.of : () => shared[slot.name]));
      const { rows: results } = await trx.executeQuery(eachRowQuery(this.#sqliteText, rows.map((row) => slots.map((value) => value(row)))));
      return rows.filter((_, index) => results[index]!.changes === 1);
    }
    const json = JSON.stringify(rows.map((row) => this.#postgresValues.map((value) => value.of(row))));
    const parameters = [json, ...this.#postgresShared.map((name) => shared[name])];
    const { rows: updated } = await trx.executeQuery<{ id: string }>(CompiledQuery.raw(this.#postgresText, parameters));
    const changed = new Set(updated.map((row) => row.id));
    return rows.filter((row) => changed.has(this.#key.of(row)));
  }

  /** The text of one assigned value or guard, each slot written by `reference`. */
  #text(value: RowValue<Row> | Expression<Row, Shared>, reference: (slot: Slot<Row, Shared>) => string): string {
    if (!('parts' in value)) return reference(value);
    return value.parts.reduce((text, part, index) => text + reference(value.slots[index - 1]!) + part);
  }

  /** A row value as its element of `r.value` (cast back from text), a shared parameter as its `$n`. */
  #postgresReference(slot: Slot<Row, Shared>): string {
    if ('name' in slot) {
      if (!this.#postgresShared.includes(slot.name)) this.#postgresShared.push(slot.name);
      return `$${this.#postgresShared.indexOf(slot.name) + 2}`;
    }
    if (!this.#postgresValues.includes(slot)) this.#postgresValues.push(slot);
    const element = `r.value ->> ${this.#postgresValues.indexOf(slot)}`;
    return slot.type === 'text' ? `(${element})` : `CAST(${element} AS ${slot.type.toUpperCase()})`;
  }
}
