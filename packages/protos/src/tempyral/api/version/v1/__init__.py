"""Generated package tempyral.api.version.v1."""
