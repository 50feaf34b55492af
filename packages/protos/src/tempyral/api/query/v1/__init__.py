"""Generated package tempyral.api.query.v1."""
