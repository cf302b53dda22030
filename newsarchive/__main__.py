"""`python -m newsarchive` runs the CLI."""

from newsarchive.cli import main

if __name__ == "__main__":
    main()
