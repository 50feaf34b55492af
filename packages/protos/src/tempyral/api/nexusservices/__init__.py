"""Generated package tempyral.api.nexusservices."""
