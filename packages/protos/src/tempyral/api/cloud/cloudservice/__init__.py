"""Generated package tempyral.api.cloud.cloudservice."""
