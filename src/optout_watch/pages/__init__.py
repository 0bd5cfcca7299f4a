"""Page text: HTML → normalised text, what changed between two texts, and the expected labels
on a page."""
