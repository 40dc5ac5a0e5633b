"""Subscriptions over WebSocket (graphql-transport-ws) and SSE (graphql-sse): Strawberry's
protocol handlers behind our identity, admission and prepared-document stages."""
