"""Long-lived GraphQL transports on /graphql: WebSocket (graphql-transport-ws) and SSE."""
