"""End-to-end demos, each a function that the command line and the notebooks call."""
