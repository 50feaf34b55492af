"""Generated package tempyral.api.nexus."""
