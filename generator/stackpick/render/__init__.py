"""Writing a new project without ever losing anything.

Copier's public API renders into a staging folder beside the destination; the
project is placed under a lock, and the first commit is made there."""
