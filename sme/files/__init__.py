"""Files on disk: configuration files, the exported-prior format, where outputs may be written."""
