"""Generated package tempyral.api.cloud.sink."""
