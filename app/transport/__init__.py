"""Transports: each decodes what its protocol carries into ``app.protocol.Operation``s."""
