"""The content-addressed file store of uploaded documents (VANTA_DATA_DIR/files/<sha256>)."""
