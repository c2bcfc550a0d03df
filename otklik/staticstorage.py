"""Static files in production: whitenoise's compressed manifest storage (hashed names, gzip and
brotli beside each file), except that a script's ``sourceMappingURL`` is left as written: a
package's script may name a source map it does not ship (leaflet.markercluster does), which would
stop ``collectstatic``. Stylesheets' ``url()`` references are still rewritten to hashed names."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = tuple(
        (extension, rules)
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
        if extension != "*.js"
    )
