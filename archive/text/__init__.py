"""Pure text: folding, character diffs, fingerprints, mirror repair and cleaning; stdlib and OpenCC only."""
