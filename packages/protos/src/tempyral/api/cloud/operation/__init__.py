"""Generated package tempyral.api.cloud.operation."""
