"""The answer package: encrypted export pages read back, CSV, JSON, manifest and the PDF report."""
