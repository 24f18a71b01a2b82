// `npm run tenants -- add <id> [name] | list | disable <id> | enable <id>`: manage tenants (X-Client-ID values).
import { TenantService } from '../src/accounts/tenants.ts';
import { AppError } from '../src/errors.ts';
import { fail, openCliDatabase } from './cli-db.ts';

const [command, id, ...rest] = process.argv.slice(2);
const usage = 'usage: npm run tenants -- add <id> [name] | list | disable <id> | enable <id>';
if (!command || !['add', 'list', 'disable', 'enable'].includes(command) || (command !== 'list' && !id)) fail(usage);

const db = await openCliDatabase();
const tenants = new TenantService(db.prisma);
try {
  await db.migrate();
  if (command === 'list') {
    const rows = await tenants.list();
    for (const t of rows) console.log(`${t.id}\t${t.disabled ? 'disabled' : 'active'}\t${t.name}`);
  } else if (command === 'add') {
    const t = await tenants.add(id, rest.join(' '));
    console.log(`Added tenant "${t.id}" (${t.name}). Clients select it with the header X-Client-ID: ${t.id}`);
  } else {
    const t = await tenants.setDisabled(id, command === 'disable');
    console.log(`Tenant "${t.id}" is now ${t.disabled ? 'disabled' : 'active'}.`);
  }
} catch (err) {
  if (err instanceof AppError) fail(err.message);
  throw err;
} finally {
  await db.close();
}
