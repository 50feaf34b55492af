"""Generated package tempyral.api.nexusservices.workerservice."""
