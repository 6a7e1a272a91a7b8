"""Classroom exercises with automatic checks (being built; see the open issues)."""
