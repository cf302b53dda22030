"""Test and benchmark helpers, kept out of the wheel: the fixture news site and its truth, the
fault server, the frontier site, the site generator, a logged site, a redis-server runner,
archive builders, the fixture pages stored, the CLI as a subprocess and the integrity checks.
Imported by tests/ and bench/ (importable through the editable install, no sys.path edits);
may import newsarchive, never tests/ nor bench/."""
