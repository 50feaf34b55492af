"""Generated package tempyral.api.nexusoperation.v1."""
