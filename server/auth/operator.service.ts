import { regionId } from '../../models/provinces';
import mongoose from 'mongoose';
import type { User } from '../../models/auth.schema';
import type { Role } from '../../models/common.schema';
import { OrganizationModel } from '../../models/organization.model';
import { AppError } from '../errors';
import type { AuthService } from './auth.service';

export interface OperatorUserInput {
  role: Role;
  email: string;
  password: string;
  name?: string;
  /** Join this existing organization (its kind must fit the role). */
  organizationId?: string;
  /** Create a new, verified organization of this name. Never joins one by name. */
  organizationName?: string;
  region?: string;
}

/** The organization kind an account of `role` belongs to. */
const kindFor = (role: Role) => (role === 'admin' || role === 'coordinator' ? 'coordinator' : role);

/**
 * An account made by an operator (`npm run user:create`). An existing organization is joined only when
 * named by id, and only one of the kind the role needs; a name always makes a new organization, so an
 * organization someone self-registered under the same name can never capture the account.
 * @throws AppError bad_request for a missing, unknown or wrong-kind organization; conflict for a taken e-mail
 */
export async function createOperatorUser(auth: AuthService, input: OperatorUserInput): Promise<User> {
  if (input.organizationId && input.organizationName) throw AppError.badRequest('Give an organization id or a name for a new one, not both');
  const kind = kindFor(input.role);
  let organizationId: string | null = null;
  if (input.organizationId) {
    if (!mongoose.isValidObjectId(input.organizationId)) throw AppError.badRequest(`Not an organization id: ${input.organizationId}`);
    const org = await OrganizationModel.findById(input.organizationId).lean();
    if (!org) throw AppError.badRequest(`No organization ${input.organizationId}`);
    if (org.kind !== kind) throw AppError.badRequest(`Organization ${org.name} is a ${org.kind} organization; a ${input.role} account needs a ${kind} one`);
    organizationId = String(org._id);
  } else if (input.organizationName) {
    const org = await OrganizationModel.create({
      name: input.organizationName,
      kind,
      region: input.region ? regionId(input.region) : 'Hubei',
      location: { lat: 30.5928, lng: 114.3055 },
      verified: true,
    });
    organizationId = String(org._id);
  } else if (kind !== 'coordinator') {
    throw AppError.badRequest('A supplier or buyer account needs an organization (--organization-id or --organization)');
  }
  try {
    return await auth.createUser({ email: input.email, password: input.password, name: input.name ?? input.email, role: input.role, organizationId });
  } catch (err) {
    if (input.organizationName && organizationId) await OrganizationModel.deleteOne({ _id: organizationId });
    throw err;
  }
}
