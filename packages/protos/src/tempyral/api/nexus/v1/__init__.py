"""Generated package tempyral.api.nexus.v1."""
