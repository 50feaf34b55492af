"""Generated package tempyral.api.cloud.nexus."""
