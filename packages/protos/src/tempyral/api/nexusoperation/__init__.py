"""Generated package tempyral.api.nexusoperation."""
