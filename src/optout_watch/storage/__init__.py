"""Storage: the state directory (what the last runs saw), page snapshots, atomic writes."""
