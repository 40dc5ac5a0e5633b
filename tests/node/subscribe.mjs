// The README's graphql-ws example as a test client: prints "connected", then the first
// documentProcessed event as one JSON line, then exits 0 (1 on any error or close).
// Usage: node subscribe.mjs <ws-url> <token> [companyId] [subscription document]
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, companyId, document] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  on: { connected: () => console.log("connected") },
});

const query = document || `subscription Processed($companyId: ID) {
  documentProcessed(companyId: $companyId) { id filename processingStatus company { id name } }
}`;
const subscription = client.iterate({ query, variables: companyId ? { companyId } : {} });
try {
  for await (const result of subscription) {
    console.log(JSON.stringify(result));
    break;
  }
  await client.dispose();
  process.exit(0);
} catch (error) {
  console.error("error", error instanceof Error ? error.message : JSON.stringify(error));
  process.exit(1);
}
