"""Reading pages into records: decoding, the profile's rules, list pages, mirror copies, cleaning."""
