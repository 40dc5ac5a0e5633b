// PostGraphile v5 configuration for the peer benchmark: point DATABASE_URL at the database
// `vanta seed` filled, so both servers answer from identical rows.
// Amber preset (the recommended V5 preset), public schema only, production-ish:
// no watch mode, no GraphiQL/Ruru, no GraphQL-over-GET, no explain, no subscriptions/pubsub.
// Run with GRAPHILE_ENV=production NODE_ENV=production (bench/peer/server.py does) so Grafast skips its dev-mode checks.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString =
  process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/vanta_bench";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      // pg.Pool size; the load generator uses 16 concurrent connections.
      poolConfig: { max: Number(process.env.PG_POOL_MAX ?? 16) },
      pubsub: false,
    }),
  ],
  grafserv: {
    host: process.env.PGL_HOST ?? "127.0.0.1",
    port: Number(process.env.PGL_PORT ?? 5678),
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    graphqlOverGET: false,
    watch: false,
    websockets: false,
    // Default is false; set PGL_OUTPUT_AS_STRING=1 to try Grafast's string-output optimisation.
    outputDataAsString: process.env.PGL_OUTPUT_AS_STRING === "1",
  },
  grafast: {
    explain: false,
  },
};

export default preset;
