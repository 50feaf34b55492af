"""Generated package tempyral.api.worker.v1."""
