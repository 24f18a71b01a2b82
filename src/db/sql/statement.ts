// What the statement modules under src/db/sql/ share: the two ways a hand-written statement reaches the database,
// and decoding. A statement that must run inside a Prisma transaction (a row lock, a sequence) goes through the
// transaction's $queryRaw; a hot path outside one goes through Database.query, whose array rows are decoded here and
// never leave src/db/sql/ undecoded.
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { SqlQuery } from '../client.ts';

export type { SqlQuery };

/** Prisma's client, or the client of a transaction (what `$transaction(async (tx) => ...)` hands out). */
export type RawClient = Pick<PrismaClient, '$queryRaw'>;

/** Runs a statement through Database.query and decodes each of its rows. */
export async function decoded<T>(query: SqlQuery, text: string, values: unknown[], decode: (row: unknown[]) => T): Promise<T[]> {
  return (await query(text, values)).map(decode);
}

/** A count or an int8 column as a number (Prisma's $queryRaw returns int8 as a bigint). */
export const int = (value: bigint | number): number => Number(value);
