"""Photos and logos: validation, clean re-encoding and storage."""
