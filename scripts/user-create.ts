import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RoleSchema } from '../models/common.schema';
import { CoordinatorScopeInputSchema, type CoordinatorScopeInput } from '../models/trust.schema';
import { loadConfig } from '../server/config';
import { disconnectDatabase } from '../server/db/database';
import { createOperatorUser } from '../server/auth/operator.service';
import { AppError } from '../server/errors';
import { createServices, openDatabase } from '../server/index';
import { createLogger } from '../server/logger';

const ArgsSchema = z.object({
  role: RoleSchema,
  email: z.email(),
  password: z.string().min(8, 'at least 8 characters'),
  name: z.string().min(1).optional(),
  organization: z.string().min(2).optional(),
  'organization-id': z.string().min(1).optional(),
  region: z.string().min(2).default('Hubei'),
  /** A coordinator's verification scope (server/trust): comma-separated provinces and sectors. */
  'scope-regions': z.string().optional(),
  'scope-sectors': z.string().optional(),
});

/**
 * `npm run user:create -- --role R --email E --password P [--organization-id ID | --organization NAME] [--region R]`:
 * makes an account of any role (coordinators and admins are never self-registered). `--organization-id`
 * joins that existing organization (of the kind the role needs); `--organization` always creates a new
 * verified one: an organization is never joined by its name, which anyone can self-register. A coordinator's
 * `--scope-regions` (provinces) and `--scope-sectors` (catalog sectors) say which certifications it verifies.
 */
async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string' },
      organization: { type: 'string' },
      'organization-id': { type: 'string' },
      region: { type: 'string' },
      'scope-regions': { type: 'string' },
      'scope-sectors': { type: 'string' },
    },
    strict: true,
  });
  const parsed = ArgsSchema.safeParse(values);
  if (!parsed.success) {
    console.error('usage: npm run user:create -- --role supplier|buyer|coordinator|admin --email E --password P [--name N] [--organization-id ID | --organization NEW_NAME] [--region R] [--scope-regions Hubei,Hunan] [--scope-sectors medical,textiles]');
    for (const i of parsed.error.issues) console.error(`  --${i.path.join('.')}: ${i.message}`);
    process.exit(2);
  }
  const a = parsed.data;
  // a coordinator's scope is checked before anything is written
  const list = (v?: string) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  let scope: CoordinatorScopeInput | null = null;
  if (a['scope-regions'] || a['scope-sectors']) {
    const parsedScope = CoordinatorScopeInputSchema.safeParse({ regions: list(a['scope-regions']), sectors: list(a['scope-sectors']) });
    if (a.role !== 'coordinator' || !parsedScope.success) {
      console.error(a.role !== 'coordinator' ? '--scope-regions and --scope-sectors are for coordinator accounts' : `Invalid scope: ${parsedScope.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      process.exit(2);
    }
    scope = parsedScope.data;
  }
  const config = loadConfig();
  const db = await openDatabase(config, createLogger('warn'));
  try {
    const services = createServices(config);
    const user = await createOperatorUser(services.auth, {
      role: a.role,
      email: a.email,
      password: a.password,
      name: a.name,
      organizationId: a['organization-id'],
      organizationName: a.organization,
      region: a.region,
    });
    console.log(`Created ${user.role} ${user.email}${user.organization ? ` in ${user.organization.name}` : ''} (id ${user.id}).`);
    if (scope) {
      await services.open();
      const set = await services.trust.setScope({ userId: user.id, role: 'admin', organizationId: null }, user.id, scope);
      await services.projector.idle();
      console.log(`It verifies certifications in ${[...set.regions, ...set.sectors].join(', ')}.`);
    }
  } catch (err) {
    console.error(err instanceof AppError ? err.message : err);
    process.exitCode = err instanceof AppError && err.status === 400 ? 2 : 1;
  } finally {
    await disconnectDatabase();
    await db.embedded?.stop();
  }
}
void main();
