"""Export format modules, one per format; each defines `FORMAT = ExportFormat(...)`."""
