"""The catalogue: models, YAML loading with positions, schema generation and export."""
