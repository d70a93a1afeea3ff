"""Console pages, one router per audience."""
