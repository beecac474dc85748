"""`python -m newsarchive` is the `newsarchive` command."""

from newsarchive.cli import main

# The guard matters: extraction workers are spawned processes, which import this module again.
if __name__ == "__main__":
    main()
