"""Generated package tempyral.api.cloud.namespace."""
