"""Generated package tempyral.api.nexusservices.workerservice.v1."""
