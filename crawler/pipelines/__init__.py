"""Item pipelines between extraction and the archive, one job each (see settings.ITEM_PIPELINES)."""
