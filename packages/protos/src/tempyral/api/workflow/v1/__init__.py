"""Generated package tempyral.api.workflow.v1."""
