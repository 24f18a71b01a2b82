import { defineConfig } from 'prisma/config';

// The datasource URL is read from the environment with a fallback: the server connects through a driver adapter
// (PGlite or adapter-pg), so the CLI only needs it for commands that talk to a database, which Parley runs itself.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed.ts' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/parley' },
});
