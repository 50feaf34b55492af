"""Generated package tempyral.api.export.v1."""
