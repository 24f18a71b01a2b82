// `npm run db:migrate`: applies pending migrations (the server also does this at start).
import { openCliDatabase } from './cli-db.ts';

const db = await openCliDatabase();
try {
  const applied = await db.migrate();
  console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
} finally {
  await db.close();
}
