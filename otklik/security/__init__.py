"""Helpers that keep hostile input harmless wherever it enters or leaves the project: uploaded
images (:mod:`.uploads`). Plain functions, no models; any app may import them."""
