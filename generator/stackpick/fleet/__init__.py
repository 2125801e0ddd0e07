"""Many projects from one template: check, drift, status (text, JSON, HTML), update."""
