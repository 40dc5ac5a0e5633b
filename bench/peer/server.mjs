// Minimal Node HTTP server for PostGraphile v5 (grafserv node adaptor), reading graphile.config.mjs.
// Usage: GRAPHILE_ENV=production NODE_ENV=production node server.mjs
// PGL_REUSE_PORT=1 listens with SO_REUSEPORT (node:http, Node >= 22.12), so the bench can start
// several instances on one port and let the kernel spread connections: PostGraphile's answer to
// our several workers, without a cluster master in between.
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
serv.addTo(server).catch((e) => {
  console.error(e);
  process.exit(1);
});
const { host, port } = preset.grafserv;
const reusePort = process.env.PGL_REUSE_PORT === "1";
server.listen({ port, host, reusePort }, () => {
  console.log(`PostGraphile listening on http://${host}:${port}/graphql (pid ${process.pid})`);
});

async function shutdown(signal) {
  console.log(`received ${signal}, shutting down`);
  server.close();
  await pgl.release().catch(() => {});
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
