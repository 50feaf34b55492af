"""Generated package tempyral.api.workflowservice."""
