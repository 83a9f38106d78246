/**
 * The OpenAPI document rendered server-side as one self-contained HTML page (no script, no CDN): every
 * operation by tag with who may call it, its parameters, request body and responses, schemas folded.
 */

type Json = Record<string, unknown>;

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A short type for a schema: `string`, `integer ≥ 1`, `"a" | "b"`, `array of …`, `object`. */
function typeOf(s: Json | undefined): string {
  if (!s) return '';
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop()!;
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (Array.isArray(union)) return union.map(typeOf).join(' | ');
  let t = String(s.type ?? 'any');
  if (t === 'array') t = `array of ${typeOf(s.items as Json)}`;
  if (s.format) t += ` (${String(s.format)})`;
  if (s.minimum !== undefined) t += ` ≥ ${String(s.minimum)}`;
  if (s.maximum !== undefined) t += ` ≤ ${String(s.maximum)}`;
  if (s.nullable) t += ' | null';
  return t;
}

function schemaBlock(label: string, schema: unknown): string {
  if (!schema) return '';
  return `<details><summary>${esc(label)}</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function content(c: Json | undefined): string {
  if (!c) return '';
  return Object.entries(c)
    .map(([type, v]) => schemaBlock(`${type}: ${typeOf((v as Json).schema as Json)}`, (v as Json).schema))
    .join('');
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase();

export function renderDocsPage(doc: Json): string {
  const info = (doc.info ?? {}) as Json;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, { method: string; path: string; op: Json }[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method, path, op });
    }
  }
  const sections: string[] = [];
  const toc: string[] = [];
  for (const [tag, ops] of byTag) {
    toc.push(`<li><a href="#tag-${slug(tag)}">${esc(tag)}</a> (${ops.length})</li>`);
    const items = ops.map(({ method, path, op }) => {
      const id = slug(`${method} ${path}`);
      const auth = Array.isArray(op.security) && (op.security as unknown[]).length ? 'Bearer token' : 'public';
      const params = (op.parameters as Json[] | undefined) ?? [];
      const paramRows = params
        .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td>${esc(typeOf(p.schema as Json))}</td><td>${esc(p.description ?? (p.schema as Json | undefined)?.description ?? '')}</td></tr>`)
        .join('');
      const body = op.requestBody as Json | undefined;
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([code, r]) => `<li><b class="s${esc(code[0])}">${esc(code)}</b> ${esc(r.description ?? '')}${content(r.content as Json)}</li>`)
        .join('');
      return `<section class="op" id="${id}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p>${esc(op.summary ?? '')}</p><p class="auth">${esc(auth)}</p>
${paramRows ? `<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>type</th><th>description</th></tr></thead><tbody>${paramRows}</tbody></table>` : ''}
${body ? `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${content(body.content as Json)}` : ''}
<h4>Responses</h4><ul>${responses}</ul></section>`;
    });
    sections.push(`<h2 id="tag-${slug(tag)}">${esc(tag)}</h2>${items.join('\n')}`);
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title ?? 'API')} reference</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1d2433;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}pre{background:#f5f7fa;padding:8px;overflow:auto;max-height:420px}
.op{border:1px solid #dde3ea;border-radius:6px;padding:8px 14px;margin:12px 0}.op h3{margin:4px 0;font-size:16px;word-break:break-all}
.m{display:inline-block;min-width:58px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#8e5b00}.delete{background:#b3261e}
.auth{color:#5b6675;font-size:13px;margin:0}table{border-collapse:collapse;width:100%;margin:6px 0;table-layout:fixed}th:nth-child(2){width:4.5em}th:nth-child(3){width:5.5em}td,th{border-bottom:1px solid #eef1f4;text-align:left;padding:4px 6px;vertical-align:top}
.s2{color:#2f7d32}.s4{color:#b3261e}.s5{color:#8e5b00}summary{cursor:pointer}ul{padding-left:18px}
</style></head><body>
<h1>${esc(info.title ?? 'API')} <small>${esc(info.version ?? '')}</small></h1>
<p>${esc(info.description ?? '')}. This page is rendered from <a href="/api/openapi.json"><code>/api/openapi.json</code></a>, which is generated from the zod schemas that validate every request; the contract with its explanations is <code>docs/API.md</code> in the repository.</p>
<nav><ul>${toc.join('')}</ul></nav>
${sections.join('\n')}
</body></html>`;
}
