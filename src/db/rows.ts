// Answering a Prisma query from rows already in hand: the rows a live event carries, or a history page read with
// one hand-written statement. A selection those rows answer (their own columns and their to-one relations, however
// nested as select or include) gets exactly the object Prisma would have returned, with no query; anything else
// (a column not in hand, a relation not loaded, filters, ordering) is left to Prisma.
import { getDatamodel } from '../generated/pothos-types.ts';

type Query = Record<string, unknown>;

/** Per model: its column names, and which of them are dates (which arrive as ISO strings when an event crossed Redis). */
const COLUMNS = new Map<string, { all: string[]; set: Set<string>; dates: string[] }>(
  Object.entries(getDatamodel().datamodel.models).map(([model, { fields }]) => {
    const columns = fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    const all = columns.map((f) => f.name);
    return [model, { all, set: new Set(all), dates: columns.filter((f) => f.type === 'DateTime').map((f) => f.name) }];
  }),
);

/** Columns never carried with a row (eventUser, history senders) and read by no resolver: their absence does not make a row partial. */
export const WITHHELD = new Set(['passwordHash']);

/** The columns of a model that rows in hand carry (every column but the WITHHELD ones). */
export const carriedColumns = (model: string): string[] => COLUMNS.get(model)!.all.filter((name) => !WITHHELD.has(name));

/** `columns` as a select list, quoted, each prefixed with `alias.` when given. */
export const selectList = (columns: string[], alias?: string): string =>
  columns.map((name) => `${alias ? `${alias}.` : ''}"${name}"`).join(', ');

/** The object of `columns` read from an array row (Database.query) starting at `offset`. */
export function fromArray<T>(columns: string[], row: unknown[], offset = 0): T {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) out[columns[i]] = row[offset + i];
  return out as T;
}

/** A row in hand and the to-one relations known with it (null: known to be empty, e.g. a deleted sender). */
export interface Known {
  model: string;
  row: Record<string, unknown>;
  /** Every column is there (but WITHHELD ones): the row answers a selection of the whole row (`include`). */
  whole: boolean;
  relations: Record<string, Known | null>;
}

export function known(model: string, row: object, relations: Record<string, Known | null> = {}): Known {
  const revived: Record<string, unknown> = { ...row };
  const { all, dates } = COLUMNS.get(model)!;
  for (const name of dates) {
    if (typeof revived[name] === 'string') revived[name] = new Date(revived[name] as string);
  }
  const whole = all.every((name) => name in revived || WITHHELD.has(name));
  return { model, row: revived, whole, relations };
}

/**
 * The object a Prisma query (`true`, `{}`, `{ select }` or `{ include }`, nested) would return, built from rows in
 * hand; undefined when they do not answer it (a column they lack, a relation not in hand, filters or ordering).
 */
export function answer(query: unknown, k: Known): Record<string, unknown> | undefined {
  if (query === true) return k.whole ? { ...k.row } : undefined;
  if (!query || typeof query !== 'object') return undefined;
  const { select, include, ...rest } = query as { select?: Query; include?: Query };
  if (Object.keys(rest).length || (!select && !k.whole)) return undefined;
  const columns = COLUMNS.get(k.model)!.set;
  const out: Record<string, unknown> = select ? {} : { ...k.row };
  for (const [name, value] of Object.entries(select ?? include ?? {})) {
    if (value === false || value === undefined) continue;
    if (columns.has(name)) {
      if (value !== true || !(name in k.row)) return undefined;
      out[name] = k.row[name];
      continue;
    }
    const relation = k.relations[name];
    if (relation === null) {
      out[name] = null;
      continue;
    }
    const nested = relation && answer(value, relation);
    if (!nested) return undefined;
    out[name] = nested;
  }
  return out;
}
