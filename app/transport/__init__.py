"""Transports: each decodes what its protocol carries into ``app.protocol.Operation``s (the
subscription transports, which hold connections open, are in app/subscriptions/)."""
