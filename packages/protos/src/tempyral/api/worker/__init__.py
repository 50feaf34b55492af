"""Generated package tempyral.api.worker."""
