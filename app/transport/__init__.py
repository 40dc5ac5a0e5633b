"""Transports: each decodes what its protocol carries into ``app.protocol.Operation``s; the
long-lived ones (WebSocket graphql-transport-ws, graphql-sse) carry subscriptions."""
