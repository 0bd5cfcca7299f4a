"""The public web archive: which copies of a page it keeps, and each copy as the site served it."""
