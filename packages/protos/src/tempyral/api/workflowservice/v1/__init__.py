"""Generated package tempyral.api.workflowservice.v1."""
