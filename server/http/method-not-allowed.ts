import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors';

/**
 * 405 for a path the API serves with other methods (with `Allow`), from the routes in the OpenAPI registry, so
 * `PUT /api/offers` says which methods exist instead of "no route"; a path it does not serve falls through to 404.
 */
export function methodNotAllowed(registry: OpenAPIRegistry) {
  let routes: { re: RegExp; methods: Set<string> }[] | null = null;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const d of registry.definitions) {
      if (d.type !== 'route') continue;
      const set = byPath.get(d.route.path) ?? new Set<string>();
      set.add(d.route.method.toUpperCase());
      if (d.route.method === 'get') set.add('HEAD');
      byPath.set(d.route.path, set);
    }
    return [...byPath].map(([path, methods]) => ({
      re: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`)).replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
      methods,
    }));
  };
  return (req: Request, res: Response, next: NextFunction) => {
    routes ??= build();
    const path = `/api${req.path}`;
    // a path may fit several routes (/certifications/queue and /certifications/{id}): the methods of all of them
    const methods = new Set(routes.filter((r) => r.re.test(path)).flatMap((r) => [...r.methods]));
    if (!methods.size || methods.has(req.method)) return next();
    const allow = [...methods].sort().join(', ');
    res.setHeader('Allow', allow);
    next(new AppError('method_not_allowed', `${req.method} is not served on ${path}; it answers ${allow}`, 405));
  };
}
