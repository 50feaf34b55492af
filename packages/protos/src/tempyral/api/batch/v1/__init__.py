"""Generated package tempyral.api.batch.v1."""
