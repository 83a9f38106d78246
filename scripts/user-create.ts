import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RoleSchema } from '../models/common.schema';
import { OrganizationModel } from '../models/organization.model';
import { loadConfig } from '../server/config';
import { disconnectDatabase } from '../server/db/database';
import { AppError } from '../server/errors';
import { createServices, openDatabase } from '../server/index';
import { createLogger } from '../server/logger';

const ArgsSchema = z.object({
  role: RoleSchema,
  email: z.email(),
  password: z.string().min(8, 'at least 8 characters'),
  name: z.string().min(1).optional(),
  organization: z.string().min(2).optional(),
  region: z.string().min(2).default('Hubei'),
});

/**
 * `npm run user:create -- --role coordinator --email E --password P [--organization NAME] [--region R]`:
 * makes an account of any role (coordinators and admins are never self-registered). A named organization
 * is reused when it exists, else created.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      organization: { type: 'string' },
      region: { type: 'string' },
    },
    strict: true,
  });
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    console.error('usage: npm run user:create -- --role supplier|buyer|coordinator|admin --email E --password P [--name N] [--organization NAME] [--region R]');
    for (const i of parsed.error.issues) console.error(`  --${i.path.join('.')}: ${i.message}`);
    process.exit(2);
  }
  const a = parsed.data;
  const config = loadConfig();
  const db = await openDatabase(config, createLogger('warn'));
  try {
    const services = createServices(config);
    let organizationId: string | null = null;
    if (a.organization) {
      const kind = a.role === 'admin' ? 'coordinator' : a.role;
      const existing = await OrganizationModel.findOne({ name: a.organization }).lean();
      organizationId = existing
        ? String(existing._id)
        : String((await OrganizationModel.create({ name: a.organization, kind, region: a.region, location: { lat: 30.5928, lng: 114.3055 }, verified: true }))._id);
    } else if (a.role === 'supplier' || a.role === 'buyer') {
      console.error('--organization is required for supplier and buyer accounts');
      process.exitCode = 2;
      return;
    }
    const user = await services.auth.createUser({ email: a.email, password: a.password, name: a.name ?? a.email, role: a.role, organizationId });
    console.log(`Created ${user.role} ${user.email}${user.organization ? ` in ${user.organization.name}` : ''} (id ${user.id}).`);
  } catch (err) {
    console.error(err instanceof AppError ? err.message : err);
    process.exitCode = 1;
  } finally {
    await disconnectDatabase();
    await db.embedded?.stop();
  }
}
void main();
