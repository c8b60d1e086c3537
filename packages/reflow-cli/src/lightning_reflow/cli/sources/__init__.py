"""Resume sources shipped with reflow-cli: local files (``file``) and object stores (``s3``)."""
