import { expect } from 'chai';
import mongoose from 'mongoose';
import { z } from 'zod';
import { AppError, toErrorResponse } from '../../server/errors';

describe('error mapping', () => {
  it('when an AppError is thrown, then its status and code are kept', () => {
    const r = toErrorResponse(AppError.notFound('Offer'));
    expect(r.status).to.equal(404);
    expect(r.body).to.deep.include({ code: 'not_found', message: 'Offer not found' });
  });

  it('when a 404 AppError carries details, then it stays 404 (not 400)', () => {
    const r = toErrorResponse(new AppError('not_found', 'x', 404, [{ path: 'a' }]));
    expect(r.status).to.equal(404);
  });

  it('when zod rejects input, then 400 with per-field details', () => {
    const err = z.strictObject({ a: z.number() }).safeParse({ a: 'x', b: 1 }).error!;
    const r = toErrorResponse(err);
    expect(r.status).to.equal(400);
    expect(r.body.code).to.equal('validation_failed');
    expect((r.body.details as { path: string }[]).map((d) => d.path)).to.include('a');
  });

  it('when Mongoose fails to cast an id, then 400', () => {
    const err = new mongoose.Error.CastError('ObjectId', 'nope', '_id');
    expect(toErrorResponse(err).status).to.equal(400);
  });

  it('when a unique key is violated, then 409', () => {
    expect(toErrorResponse({ code: 11000 }).status).to.equal(409);
  });

  it('when the body is too large or malformed, then 413 or 400', () => {
    expect(toErrorResponse({ type: 'entity.too.large', status: 413, message: 'big' }).status).to.equal(413);
    expect(toErrorResponse({ type: 'entity.parse.failed', status: 400, message: 'bad' }).status).to.equal(400);
  });

  it('when the database is unreachable, then 503', () => {
    const err = new Error('connect ECONNREFUSED');
    err.name = 'MongoServerSelectionError';
    expect(toErrorResponse(err).status).to.equal(503);
  });

  it('when anything else is thrown, then a generic 500 without the detail', () => {
    const r = toErrorResponse(new TypeError('secret detail'));
    expect(r.status).to.equal(500);
    expect(r.body.message).to.equal('Internal server error');
    expect(r.internal).to.equal(true);
  });
});
