"""Generated package tempyral.api.errordetails."""
