"""Readers of the uploaded file: ZIP archive, binary XML, manifest, dex, signatures, native libraries."""
