"""The archive on the web: pages and a JSON API for people, Memento and replay on a second origin."""
