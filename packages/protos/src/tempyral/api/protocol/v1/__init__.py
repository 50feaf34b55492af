"""Generated package tempyral.api.protocol.v1."""
