"""Generated package tempyral.api.cloud.resource."""
