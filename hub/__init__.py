"""What other projects import: the style-transfer networks and, later, the model classes."""
