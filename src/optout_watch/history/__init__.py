"""A watched page's history replayed through the nightly's own steps."""
