"""Project-wide tests: probes, metrics, security headers and deploy checks."""
