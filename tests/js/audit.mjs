// The GraphQL-over-HTTP audit of graphql-http (serverAudits) against a running server.
// Prints each check that is not ok on stderr and, as the last stdout line, one JSON object:
//   {"tally": {"ok": N, "warn": N, "notice": N, "error": N}, "problems": [{id, name, status, reason}]}
//   node audit.mjs URL
import { serverAudits } from "graphql-http";

const [url] = process.argv.slice(2);
const tally = { ok: 0, warn: 0, notice: 0, error: 0 };
const problems = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  tally[result.status] += 1;
  if (result.status !== "ok") {
    const problem = { id: audit.id, name: audit.name, status: result.status, reason: result.reason };
    problems.push(problem);
    console.error(`${result.status} ${audit.id} ${audit.name}: ${result.reason}`);
  }
}
console.log(JSON.stringify({ tally, problems }));
process.exit(problems.length === 0 ? 0 : 1);
