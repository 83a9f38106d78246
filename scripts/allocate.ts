/**
 * npm run -s allocate < instance.json
 *
 * Reads one allocation instance (JSON) on stdin and prints the exact optimum: most priority-weighted units,
 * then least cost, as {flows: [{supply, demand, units}], weightedUnits, unitsAllocated, totalCost}.
 *
 *   {"supplies": [{"id", "units"} | {"id", "days": [units made on day 0, day 1, ...], "units"?: sum of days}],
 *    "demands":  [{"id", "units", "priority", "due"?: day index}],
 *    "arcs":     [{"supply", "demand", "cost", "limit"?, "due"?: day index for this pair, overriding the demand's}]}
 *
 * A supply with `days` is a production line: output of day k can serve any demand due on day k or later
 * (held until then), never one due earlier. A demand without `due` takes output of any day; a supply
 * without `days` is available for every due date. Flows are per (supply, demand) pair, summed over days.
 * Malformed input: a message on stderr and exit code 2.
 */
import { AllocationInstanceSchema, solveAllocation } from '../server/matching/allocation';

const EXIT_BAD_INPUT = 2;

/** Paths are printed the way a person would index into the JSON, so the offending entry can be found by eye. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = EXIT_BAD_INPUT;
}

async function main(): Promise<void> {
  const text = await readStdin();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    fail(
      `allocate: input is not valid JSON (${reason}); expected one object ` +
        '{"supplies": [...], "demands": [...], "arcs": [...]} on stdin.',
    );
    return;
  }
  const parsed = AllocationInstanceSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    fail(
      `allocate: invalid allocation instance, ${problems.length} problem${problems.length === 1 ? '' : 's'}: ` +
        `${problems.join('; ')}. Supplies need {id, units} or {id, days, units?}, demands {id, units, priority, due?}, ` +
        'arcs {supply, demand, cost, limit?, due?}; ids must be unique non-empty strings, units, limits and day outputs ' +
        'non-negative integers, days a non-empty array whose sum equals units when both are given, due a ' +
        'non-negative integer day index, priorities positive integers.',
    );
    return;
  }
  process.stdout.write(`${JSON.stringify(solveAllocation(parsed.data), null, 2)}\n`);
}

await main();
