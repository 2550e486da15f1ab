"""PDF reports built with ReportLab: engine results and records in, bytes out."""
