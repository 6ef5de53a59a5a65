from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files, with `import "./x.js"` rewritten to the hashed
    name so that every page shares one instance of the websocket runtime module."""

    support_js_module_import_aggregation = True
